package io.atoll.master.ha;

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
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Alerts: what HA decided, and what an administrator should look at. */
@Path("/api/v1/alerts")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "ha")
public class AlertResource {

    @Inject
    Alerts alerts;

    @GET
        @Operation(summary = "Alerts, newest first: ?since=ISO-INSTANT&limit=N (default 100)")
    public List<Alert> alerts(@QueryParam("since") String since, @QueryParam("limit") String limit) {
        Instant from = null;
        if (since != null && !since.isBlank()) {
            try {
                from = Instant.parse(since);
            } catch (java.time.format.DateTimeParseException e) {
                throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "since is '" + since + "': give an instant like 2026-01-31T12:00:00Z");
            }
        }
        Long n = Params.optionalLong("limit", limit);
        if (n != null && (n < 1 || n > 10_000)) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "limit is " + n + ": give 1 to 10000");
        }
        return alerts.list(from, n == null ? 100 : n.intValue());
    }
}
