package io.atoll.master.network;

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
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool's networks (XAPI's network objects). */
@Path("/api/v1/networks")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "networks")
public class NetworkResource {

    @Inject
    NetworkService networks;

    @POST
    @Operation(summary = "Create a network", description = "Body {\"name\", \"bridge\"?, \"mtu\"?}. 201 with the network.")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Response create(NetworkCreateRequest request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"name\", \"bridge\"?, \"mtu\"?}");
        }
        Network n = networks.create(request);
        return Response.created(URI.create("/api/v1/networks/" + n.uuid())).entity(n).build();
    }

    @GET
    public List<Network> list() {
        return networks.list();
    }

    @GET
    @Path("/{uuid}")
    public Network get(@PathParam("uuid") String uuid) {
        return networks.get(parse(uuid));
    }

    @DELETE
    @Path("/{uuid}")
    @Operation(summary = "Destroy a network", description = "Refused (409 NETWORK_IN_USE) while VIFs are on it.")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Response destroy(@PathParam("uuid") String uuid) {
        networks.destroy(parse(uuid));
        return Response.noContent().build();
    }

    private static UUID parse(String uuid) {
        return Params.uuid(uuid, MasterErrorCode.NETWORK_NOT_FOUND, "network");
    }
}
