package io.atoll.master.auth;

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
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The caller's own API tokens: long-lived, named, for scripts. Every user may manage their own. */
@Path("/api/v1/tokens")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "tokens")
@MinimumRole(Roles.READ_ONLY)
public class TokenResource {

    @Inject
    AuthService auth;

    @POST
    @Operation(summary = "Create an API token", description = "Body {\"name\", \"expiresInDays\" (optional)}. 201 with the token: it is "
            + "shown this once. It acts with the caller's role.")
    public Response create(Requests.CreateToken request, @Context SecurityContext security) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"name\", \"expiresInDays\"}");
        }
        IssuedToken token = auth.createApiToken(Callers.of(security), request);
        return Response.created(URI.create("/api/v1/tokens/" + token.id())).entity(token).build();
    }

    @GET
    public List<ApiToken> list(@Context SecurityContext security) {
        return auth.apiTokens(Callers.of(security));
    }

    @DELETE
    @Path("/{id}")
    public Response revoke(@PathParam("id") String id, @Context SecurityContext security) {
        auth.revokeApiToken(Callers.of(security), Params.uuid(id, MasterErrorCode.TOKEN_NOT_FOUND, "token"));
        return Response.noContent().build();
    }
}
