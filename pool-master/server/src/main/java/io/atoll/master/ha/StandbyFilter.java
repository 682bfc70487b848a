package io.atoll.master.ha;

import io.atoll.master.error.ErrorMapper;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.node.api.ApiError;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * A standby master instance answers the API with a redirect to the active one, as XAPI's
 * {@code HOST_IS_SLAVE} does: 307 (the method and body are kept) with {@code Location} naming the
 * same path on the active instance, and a {@code NOT_ACTIVE_MASTER} error body naming it for
 * clients that do not follow redirects. While no instance is active (a take-over under way): 503
 * with {@code Retry-After}. HA status reads ({@code GET /api/v1/pool/ha}, {@code GET
 * /api/v1/pool/masters}) are answered by every instance, from the shared database.
 */
public class StandbyFilter {

    @Inject
    MasterRole role;

    @ServerRequestFilter(preMatching = true, priority = 100)
    public Response redirectToActive(ContainerRequestContext request) {
        if (role.isActive()) {
            return null;
        }
        String path = request.getUriInfo().getRequestUri().getRawPath();
        if (!path.startsWith("/api/")) {
            return null; // health, OpenAPI
        }
        if ("GET".equals(request.getMethod()) && (path.equals("/api/v1/pool/ha") || path.equals("/api/v1/pool/masters"))) {
            return null;
        }
        Optional<String> active = role.activeMasterUrl().filter(url -> !url.equals(role.publicUrl()));
        if (active.isEmpty()) {
            return Response.fromResponse(ErrorMapper.error(MasterErrorCode.NOT_ACTIVE_MASTER, "master instance " + role.instance()
                    + " is a standby and no instance holds the master lease just now (a take-over is under way): retry in a few seconds",
                    "master " + role.instance())).header("Retry-After", "2").build();
        }
        URI request0 = request.getUriInfo().getRequestUri();
        String query = request0.getRawQuery();
        URI location = URI.create(active.get().replaceAll("/+$", "") + path + (query == null ? "" : "?" + query));
        return Response.status(Response.Status.TEMPORARY_REDIRECT).location(location).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(MasterErrorCode.NOT_ACTIVE_MASTER.name(), "master instance " + role.instance()
                        + " is a standby: the active master is at " + active.get() + " (the request is redirected there)",
                        "master " + role.instance())).build();
    }
}
