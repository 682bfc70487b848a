package io.atoll.master.auth;

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

/** Local users and their roles: pool-admin only. */
@Path("/api/v1/users")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "users")
@MinimumRole(Roles.POOL_ADMIN)
public class UserResource {

    @Inject
    AuthService auth;

    @POST
    @Operation(summary = "Create a user", description = "Body {\"username\", \"password\", \"role\"}; role is one of pool-admin, "
            + "pool-operator, vm-power-admin, vm-admin, vm-operator, read-only.")
    public Response create(Requests.CreateUser request) {
        User user = auth.createUser(body(request));
        return Response.created(URI.create("/api/v1/users/" + user.uuid())).entity(user).build();
    }

    @GET
    public List<User> list() {
        return auth.users();
    }

    @GET
    @Path("/{uuid}")
    public User get(@PathParam("uuid") String uuid) {
        return auth.get(parse(uuid));
    }

    @DELETE
    @Path("/{uuid}")
    @Operation(summary = "Delete a user and their tokens", description = "Refused (409 LAST_POOL_ADMIN) for the only pool-admin.")
    public Response delete(@PathParam("uuid") String uuid) {
        auth.deleteUser(parse(uuid));
        return Response.noContent().build();
    }

    @PUT
    @Path("/{uuid}/password")
    @Operation(summary = "Set a user's password", description = "Body {\"password\"}. Ends the user's sessions; API tokens stay.")
    public User setPassword(@PathParam("uuid") String uuid, Requests.SetPassword request) {
        return auth.setPassword(parse(uuid), body(request).password());
    }

    @PUT
    @Path("/{uuid}/role")
    @Operation(summary = "Set a user's role", description = "Body {\"role\"}. Applies to the user's next request.")
    public User setRole(@PathParam("uuid") String uuid, Requests.SetRole request) {
        return auth.setRole(parse(uuid), body(request).role());
    }

    private static <T> T body(T request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "a JSON body is required");
        }
        return request;
    }

    private static UUID parse(String uuid) {
        return Params.uuid(uuid, MasterErrorCode.USER_NOT_FOUND, "user");
    }
}
