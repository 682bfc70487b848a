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

/** The pool's storage repositories (XAPI's SRs) and their attachments on hosts (PBDs). */
@Path("/api/v1/srs")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "storage")
public class SrResource {

    /** The body of attach and detach: the host. */
    public record HostRef(UUID host) {
    }

    @Inject
    StorageService storage;

    @POST
    @Operation(summary = "Create (or introduce) a storage repository", description = "Created through the named host (else the first "
            + "online one) and, for a shared adapter type, attached on every online host. 201 with the repository.")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Response create(SrCreateRequest request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"name\", \"type\", \"deviceConfig\", \"host\"?}");
        }
        Sr sr = storage.create(request);
        return Response.created(URI.create("/api/v1/srs/" + sr.uuid())).entity(sr).build();
    }

    @GET
    public List<Sr> list() {
        return storage.list();
    }

    @GET
    @Path("/{uuid}")
    public Sr get(@PathParam("uuid") String uuid) {
        return storage.get(parse(uuid));
    }

    @GET
    @Path("/{uuid}/vdis")
    public List<Vdi> vdis(@PathParam("uuid") String uuid) {
        return storage.vdis(parse(uuid));
    }

    @POST
    @Path("/{uuid}/scan")
    @Operation(summary = "Re-read the repository's disks and space through a host where it is attached")
    @MinimumRole(Roles.VM_POWER_ADMIN)
    public Sr scan(@PathParam("uuid") String uuid) {
        return storage.scan(parse(uuid));
    }

    @POST
    @Path("/{uuid}/attach")
    @Operation(summary = "Attach the repository on a host", description = "Body {\"host\": UUID}.")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Sr attach(@PathParam("uuid") String uuid, HostRef body) {
        return storage.attach(parse(uuid), host(body));
    }

    @POST
    @Path("/{uuid}/detach")
    @Operation(summary = "Detach the repository from a host", description = "Body {\"host\": UUID}. Refused while VMs there use its disks.")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Sr detach(@PathParam("uuid") String uuid, HostRef body) {
        return storage.detach(parse(uuid), host(body));
    }

    @DELETE
    @Path("/{uuid}")
    @Operation(summary = "Destroy a repository, or forget it", description = "Refused while any VM, snapshot or template has a disk in it. "
            + "destroyData=true (default) deletes it on the storage; false only removes it from the pool (it can be introduced again).")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Response destroy(@PathParam("uuid") String uuid, @QueryParam("destroyData") String destroyData) {
        boolean destroy = destroyData == null || Params.bool("destroyData", destroyData);
        storage.destroy(parse(uuid), destroy);
        return Response.noContent().build();
    }

    private static UUID host(HostRef body) {
        if (body == null || body.host() == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"host\": UUID}");
        }
        return body.host();
    }

    private static UUID parse(String uuid) {
        return Params.uuid(uuid, MasterErrorCode.SR_NOT_FOUND, "sr");
    }
}
