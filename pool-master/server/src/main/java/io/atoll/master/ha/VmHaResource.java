package io.atoll.master.ha;

import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.error.Params;
import io.atoll.master.vm.Vm;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A VM's HA restart policy. */
@Path("/api/v1/vms/{uuid}/ha")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "ha")
public class VmHaResource {

    @Inject
    HaService ha;

    @GET
        @Operation(summary = "A VM's HA restart policy")
    public VmHa vmHa(@PathParam("uuid") String uuid) {
        return ha.vmHa(Params.uuid(uuid, MasterErrorCode.VM_NOT_FOUND, "vm"));
    }
    @PUT
        @MinimumRole(Roles.POOL_OPERATOR)
    @Operation(summary = "Set a VM's HA restart policy: {restartPriority: restart|best-effort|none, restartOrder, startDelaySeconds}")
    public VmHa setVmHa(@PathParam("uuid") String uuid, HaService.VmHaRequest request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, "vm " + uuid, "give {\"restartPriority\": \"restart\"|\"best-effort\"|\"none\", "
                    + "\"restartOrder\": N, \"startDelaySeconds\": S}");
        }
        return ha.setVmHa(Params.uuid(uuid, MasterErrorCode.VM_NOT_FOUND, "vm"), request);
    }
}
