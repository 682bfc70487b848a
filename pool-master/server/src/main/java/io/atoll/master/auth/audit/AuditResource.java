package io.atoll.master.auth.audit;

import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.error.Params;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The audit log of writes: pool-admin only. */
@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "audit")
@MinimumRole(Roles.POOL_ADMIN)
public class AuditResource {

    @Inject
    AuditService audit;

    @GET
    @Operation(summary = "Audit records after an id", description = "Oldest first; 'after' (default 0) is the last id already read, "
            + "'limit' 1 to 1000 (default 100).")
    public List<AuditRecord> list(@QueryParam("after") String after, @QueryParam("limit") String limit) {
        long max = Params.longOr("limit", limit, 100);
        if (max < 1 || max > 1000) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "limit is " + max + ": give 1 to 1000");
        }
        return audit.after(Params.longOr("after", after, 0), (int) max);
    }
}
