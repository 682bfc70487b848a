package io.atoll.agent.network;

import io.atoll.node.api.NetworkSpec;
import io.atoll.node.api.NetworkState;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;

/** The networks realised on this host (see docs/networking.md). */
@Path("/api/v1/networks")
@Produces(MediaType.APPLICATION_JSON)
public class NetworkResource {

    @Inject
    NetworkService networks;

    @GET
    public List<NetworkState> list() {
        return networks.list();
    }

    /** Realises the network here, or converges it to this spec; idempotent. */
    @PUT
    @Path("/{uuid}")
    public NetworkState realise(@PathParam("uuid") UUID uuid, NetworkSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("the request body must be a network spec (JSON)");
        }
        return networks.realise(uuid, spec);
    }

    @GET
    @Path("/{uuid}")
    public NetworkState get(@PathParam("uuid") UUID uuid) {
        return networks.get(uuid);
    }

    /** Removes the network from this host (refused while VIFs are plugged in). */
    @DELETE
    @Path("/{uuid}")
    public Response remove(@PathParam("uuid") UUID uuid) {
        networks.remove(uuid);
        return Response.noContent().build();
    }
}
