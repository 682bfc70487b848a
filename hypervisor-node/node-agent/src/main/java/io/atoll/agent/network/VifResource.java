package io.atoll.agent.network;

import io.atoll.node.api.NicSpec;
import io.atoll.node.api.VmInfo;
import io.atoll.vm.VmManager;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.UUID;

/** VIFs plugged into and unplugged from running VMs. */
@Path("/api/v1/vms/{uuid}/nics")
@Produces(MediaType.APPLICATION_JSON)
public class VifResource {

    @Inject
    VmManager vms;

    @Inject
    NetworkService networks;

    /** Hot-plugs a NIC (body: a NicSpec, NETWORK or TAP) → the VM. */
    @POST
    public VmInfo plug(@PathParam("uuid") UUID uuid, NicSpec nic) {
        if (nic == null) {
            throw new IllegalArgumentException("the request body must be a nic spec (JSON)");
        }
        return networks.withAddresses(networks.hotPlug(vms, uuid, nic));
    }

    /** Unplugs a NIC (the guest is asked to release it; its backend goes regardless) → the VM. */
    @DELETE
    @Path("/{id}")
    public VmInfo unplug(@PathParam("uuid") UUID uuid, @PathParam("id") String id) {
        return networks.withAddresses(networks.hotUnplug(vms, uuid, id));
    }
}
