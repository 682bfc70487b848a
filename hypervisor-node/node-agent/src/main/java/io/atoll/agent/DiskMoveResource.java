package io.atoll.agent;

import io.atoll.node.api.DiskMoveProgress;
import io.atoll.node.api.DiskMoveRequest;
import io.atoll.node.api.VmInfo;
import io.atoll.vm.VmManager;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import java.util.UUID;

/**
 * Live disk moves: a running VM's repository disk goes to another disk of this host's
 * repositories while the guest runs (see docs/node-agent.md, "Moving a disk").
 */
@Path("/api/v1/vms/{uuid}/disks/{diskId}/move")
@Produces(MediaType.APPLICATION_JSON)
public class DiskMoveResource {

    @Inject
    VmManager manager;

    /** Returns when the guest runs on the new disk (the VM as it is then), or fails with it on the old one. */
    @POST
    public VmInfo move(@PathParam("uuid") UUID uuid, @PathParam("diskId") String diskId, DiskMoveRequest request) {
        if (request == null || !request.complete()) {
            throw new IllegalArgumentException("the request body must be {\"sr\": SR-UUID, \"vdi\": DISK-ID}");
        }
        return manager.moveDisk(uuid, diskId, Map.of("sr", request.sr(), "vdi", request.vdi()));
    }

    @GET
    public DiskMoveProgress progress(@PathParam("uuid") UUID uuid, @PathParam("diskId") String diskId) {
        return manager.diskMoveProgress(uuid, diskId);
    }

    /** The move stops; the guest runs on its old disk. */
    @POST
    @Path("/cancel")
    public Response cancel(@PathParam("uuid") UUID uuid, @PathParam("diskId") String diskId) {
        manager.cancelDiskMove(uuid, diskId);
        return Response.accepted().build();
    }
}
