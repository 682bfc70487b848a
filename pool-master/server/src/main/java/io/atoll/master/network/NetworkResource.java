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
import jakarta.ws.rs.PUT;
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
    @Operation(summary = "Create a network", description = "Body {\"name\", \"type\"?: PRIVATE|EXTERNAL|VLAN, \"bridge\"?, \"mtu\"?, "
            + "\"vni\"?, \"subnet\"?, \"dhcp\"?, \"pif\"?, \"vlan\"?, \"description\"?}. A PRIVATE network gets a free VNI and subnet "
            + "when it names none. 201 with the network; it is realised on a host when a VM on it starts or arrives there.")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Response create(NetworkCreateRequest request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"name\", \"type\"?, …}");
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

    /** The body of a host's PIF. */
    public record HostPifRequest(String pif) {
    }

    @PUT
    @Path("/{uuid}/hosts/{host}")
    @Operation(summary = "Name an EXTERNAL or VLAN network's physical interface on one host", description = "Body {\"pif\": \"eth2\"}; "
            + "used from the next time the network is realised there.")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Network setHostPif(@PathParam("uuid") String uuid, @PathParam("host") String host, HostPifRequest body) {
        UUID h = Params.uuid(host, MasterErrorCode.HOST_NOT_FOUND, "host");
        return networks.setHostPif(parse(uuid), h, body == null ? null : body.pif());
    }

    @DELETE
    @Path("/{uuid}")
    @Operation(summary = "Destroy a network", description = "Refused (409 NETWORK_IN_USE) while VIFs are on it; removed from every host "
            + "that has it first (502 NETWORK_FAILED naming a host that did not answer: destroy again later).")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Response destroy(@PathParam("uuid") String uuid) {
        networks.destroy(parse(uuid));
        return Response.noContent().build();
    }

    private static UUID parse(String uuid) {
        return Params.uuid(uuid, MasterErrorCode.NETWORK_NOT_FOUND, "network");
    }
}
