package io.atoll.agent;

import io.atoll.agent.storage.StorageService;
import io.atoll.node.api.SrAttachRequest;
import io.atoll.node.api.SrState;
import io.atoll.node.api.VdiInfo;
import io.atoll.node.api.VdiRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;

/**
 * The storage repositories attached on this host and their disks. Errors are
 * {@link io.atoll.node.api.ApiError}s: {@code SR_NOT_ATTACHED}, {@code STORAGE_TYPE_UNKNOWN}, and
 * the adapter's own as {@code STORAGE_<code>}.
 */
@Path("/api/v1/storage/srs")
@Produces(MediaType.APPLICATION_JSON)
public class SrResource {

    @Inject
    StorageService storage;

    @GET
    public List<SrState> list() {
        return storage.list();
    }

    /** Attaches the repository (creating it first when asked); idempotent. */
    @PUT
    @Path("/{sr}")
    public SrState attach(@PathParam("sr") UUID sr, SrAttachRequest request) {
        return storage.attach(sr.toString(), request);
    }

    @GET
    @Path("/{sr}")
    public SrState get(@PathParam("sr") UUID sr) {
        return storage.get(sr.toString());
    }

    /** Detaches the repository from this host, and destroys it with everything in it when {@code destroy=true}. */
    @DELETE
    @Path("/{sr}")
    public Response detach(@PathParam("sr") UUID sr, @QueryParam("destroy") @DefaultValue("false") boolean destroy) {
        storage.detach(sr.toString(), destroy);
        return Response.noContent().build();
    }

    /**
     * Breaks the disk locks a fenced host holds in this repository (HA restarts): body
     * {@code {"host": UUID}} → {@code {"released": [disk ids]}}. Only for a host that is certainly
     * fenced; this host itself is refused.
     */
    @POST
    @Path("/{sr}/release-host")
    public io.atoll.node.api.ReleasedDisks releaseHost(@PathParam("sr") UUID sr, io.atoll.node.api.ReleaseHostRequest request) {
        return storage.releaseHost(sr.toString(), request);
    }

    @GET
    @Path("/{sr}/disks")
    public List<VdiInfo> disks(@PathParam("sr") UUID sr) {
        return storage.disks(sr.toString());
    }

    @POST
    @Path("/{sr}/disks")
    public Response create(@PathParam("sr") UUID sr, VdiRequest.Create request) {
        return Response.status(Response.Status.CREATED).entity(storage.create(sr.toString(), request)).build();
    }

    @GET
    @Path("/{sr}/disks/{id}")
    public VdiInfo disk(@PathParam("sr") UUID sr, @PathParam("id") String id) {
        return storage.disk(sr.toString(), id);
    }

    @DELETE
    @Path("/{sr}/disks/{id}")
    public Response delete(@PathParam("sr") UUID sr, @PathParam("id") String id) {
        storage.delete(sr.toString(), id);
        return Response.noContent().build();
    }

    @POST
    @Path("/{sr}/disks/{id}/snapshot")
    public VdiInfo snapshot(@PathParam("sr") UUID sr, @PathParam("id") String id, VdiRequest.Snapshot request) {
        return storage.snapshot(sr.toString(), id, request);
    }

    @POST
    @Path("/{sr}/disks/{id}/clone")
    public VdiInfo clone(@PathParam("sr") UUID sr, @PathParam("id") String id, VdiRequest.Clone request) {
        return storage.clone(sr.toString(), id, request);
    }

    @POST
    @Path("/{sr}/disks/{id}/revert")
    public VdiInfo revert(@PathParam("sr") UUID sr, @PathParam("id") String id, VdiRequest.Revert request) {
        return storage.revert(sr.toString(), id, request);
    }

    @POST
    @Path("/{sr}/disks/{id}/resize")
    public VdiInfo resize(@PathParam("sr") UUID sr, @PathParam("id") String id, VdiRequest.Resize request) {
        return storage.resize(sr.toString(), id, request);
    }
}
