package io.atoll.master.ha;

import io.atoll.ha.MemberId;
import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool master instances sharing the database, and which one is active; a retired instance is removed. */
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

    /**
     * Removes a retired instance from the pool: it no longer counts in the quorum (a pool of three
     * instances that lost one for good would otherwise need both others for every election). Refused
     * for an instance that runs (it is in the cluster view) — stop it first.
     */
    @DELETE
    @Path("/{name}")
    @MinimumRole(Roles.POOL_ADMIN)
    @Operation(summary = "Remove a stopped master instance from the pool (and from the quorum)")
    public Response remove(@PathParam("name") String name) throws SQLException {
        if (!role.clustered()) {
            throw new MasterException(MasterErrorCode.OPERATION_NOT_ALLOWED, "master " + name, "this pool has a single master instance "
                    + "(atoll.master.ha.cluster=false): there is no instance to remove");
        }
        boolean known = role.instances().stream().anyMatch(row -> row[0].equals(name));
        if (!known) {
            throw new MasterException(MasterErrorCode.NOT_FOUND, "master " + name, "no master instance is named '" + name
                    + "' (GET /api/v1/pool/masters lists them)");
        }
        boolean running = role.member().map(m -> m.view().members().contains(MemberId.master(name))).orElse(false);
        if (running || name.equals(role.instance())) {
            throw new MasterException(MasterErrorCode.OPERATION_NOT_ALLOWED, "master " + name, "master instance " + name
                    + " is running (it is in the cluster view): stop it first, then remove it");
        }
        role.forget(name);
        return Response.noContent().build();
    }
}
