package io.atoll.master.storage;

import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.error.Params;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool's virtual disks (XAPI's VDIs), snapshots included. */
@Path("/api/v1/vdis")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "storage")
public class VdiResource {

    /** The body of resize. */
    public record ResizeRequest(Long sizeBytes) {
    }

    @Inject
    StorageService storage;

    @POST
    @Operation(summary = "Create an empty disk", description = "Body {\"sr\": UUID, \"name\", \"sizeBytes\"}. 201 with the disk.")
    @MinimumRole(Roles.VM_ADMIN)
    public Response create(VdiCreateRequest request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"sr\": UUID, \"name\", \"sizeBytes\"}");
        }
        Vdi vdi = storage.createVdi(request.sr(), request.name(), request.sizeBytes());
        return Response.created(URI.create("/api/v1/vdis/" + vdi.uuid())).entity(vdi).build();
    }

    @GET
    public List<Vdi> list(@QueryParam("sr") String sr) {
        return storage.vdis(sr == null ? null : Params.uuid(sr, MasterErrorCode.SR_NOT_FOUND, "sr"));
    }

    @GET
    @Path("/{uuid}")
    public Vdi get(@PathParam("uuid") String uuid) {
        return storage.vdi(parse(uuid));
    }

    @POST
    @Path("/{uuid}/resize")
    @Operation(summary = "Grow a disk", description = "Body {\"sizeBytes\"}. Disks never shrink.")
    @MinimumRole(Roles.VM_ADMIN)
    public Vdi resize(@PathParam("uuid") String uuid, ResizeRequest body) {
        UUID id = parse(uuid);
        long size;
        try {
            size = VdiCreateRequest.checkSize("vdi " + id, body == null ? null : body.sizeBytes());
        } catch (IllegalArgumentException e) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, "vdi " + id, e.getMessage());
        }
        return storage.resizeVdi(id, size);
    }

    @DELETE
    @Path("/{uuid}")
    @Operation(summary = "Destroy a disk or snapshot", description = "Refused (409 VDI_IN_USE) while a VM, VM snapshot or template uses it.")
    @MinimumRole(Roles.VM_ADMIN)
    public Response destroy(@PathParam("uuid") String uuid) {
        storage.destroyVdi(parse(uuid));
        return Response.noContent().build();
    }

    private static UUID parse(String uuid) {
        return Params.uuid(uuid, MasterErrorCode.VDI_NOT_FOUND, "vdi");
    }
}
