package io.atoll.master.auth;

import io.atoll.master.auth.audit.AuditFilter;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Log in (a session token that expires) and out. */
@Path("/api/v1/session")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "session")
public class SessionResource {

    @Inject
    AuthService auth;

    @POST
    @Path("/login")
    @Anonymous
    @Operation(summary = "Log in", description = "Body {\"username\", \"password\"}. Answers a session token to send as "
            + "'Authorization: Bearer TOKEN', valid for atoll.master.auth.session-timeout. 401 UNAUTHORIZED for a wrong name or password.")
    public IssuedToken login(Requests.Login request, @Context ContainerRequestContext context) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"username\", \"password\"}");
        }
        // The audit names who tried, though nobody is authenticated yet.
        context.setProperty(AuditFilter.USERNAME, request.username());
        context.setProperty(AuditFilter.OBJECT, "user " + request.username());
        return auth.login(request.username(), request.password());
    }

    @POST
    @Path("/logout")
    @MinimumRole(Roles.READ_ONLY)
    @Operation(summary = "Log out", description = "Ends the token of this request (204).")
    public Response logout(@Context SecurityContext security, @Context ContainerRequestContext context) {
        Caller caller = Callers.of(security);
        context.setProperty(AuditFilter.OBJECT, "token " + caller.token());
        auth.logout(caller);
        return Response.noContent().build();
    }
}
