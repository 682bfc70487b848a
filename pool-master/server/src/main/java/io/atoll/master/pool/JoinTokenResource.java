package io.atoll.master.pool;

import io.atoll.master.auth.Callers;
import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
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

/** Join tokens, with which hosts join the pool by themselves ({@code POST /api/v1/hosts/join}). Pool-admin only. */
@Path("/api/v1/pool/join-tokens")
@MinimumRole(Roles.POOL_ADMIN)
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "pool")
public class JoinTokenResource {

    @Inject
    JoinTokenService joinTokens;

    @POST
    @Operation(summary = "Create a join token", description = "Body {\"expiresInMinutes\" (default 60), \"uses\" (default 1)}, "
            + "both optional. 201 with the token: it is shown this once. A host joins with it through POST /api/v1/hosts/join.")
    public Response create(JoinTokenRequest request, @Context SecurityContext security) {
        IssuedJoinToken issued = joinTokens.create(Callers.of(security).username(), request == null ? JoinTokenRequest.defaults() : request);
        return Response.created(URI.create("/api/v1/pool/join-tokens/" + issued.id())).entity(issued).build();
    }

    @GET
    @Operation(summary = "List join tokens", description = "Their ids, uses and expiry; never the tokens.")
    public List<JoinToken> list() {
        return joinTokens.list();
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Revoke a join token", description = "204; a join with it is refused from then on. Hosts it joined stay.")
    public Response revoke(@PathParam("id") String id) {
        joinTokens.revoke(Params.uuid(id, MasterErrorCode.JOIN_TOKEN_NOT_FOUND, "join-token"));
        return Response.noContent().build();
    }
}
