package io.atoll.master.ha;

import io.atoll.ha.HostLiveness;
import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.error.Params;
import io.atoll.master.vm.Vm;
import io.atoll.master.vm.VmService;
import io.atoll.node.api.HaStatus;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool master instances sharing the database, and which one is active. */
@Path("/api/v1/pool/masters")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "ha")
public class MasterInstancesResource {

    @Inject
    MasterRole role;

    public record MasterInstance(String name, String apiUrl, String clusterAddress, boolean active) {
    }

    @GET
        @Operation(summary = "The pool master instances sharing the database, and which one is active")
    public List<MasterInstance> masters() throws SQLException {
        String active = role.activeMasterUrl().orElse(role.isActive() ? role.publicUrl() : null);
        List<MasterInstance> out = new ArrayList<>();
        if (!role.clustered()) {
            out.add(new MasterInstance(role.instance(), role.publicUrl(), null, role.isActive()));
            return out;
        }
        for (String[] row : role.instances()) {
            out.add(new MasterInstance(row[0], row[1], row[2], row[1].equals(active)));
        }
        return out;
    }
}
