package io.atoll.agent.ha;

import io.atoll.ha.FencingToken;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.vm.NodeException;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Epoch fencing of master calls: a request carrying {@code X-Atoll-Master-Epoch} is admitted only if
 * its epoch is at least the highest this agent has seen (which it then raises, persisted); a lower one
 * is a deposed master's and is refused {@code MASTER_FENCED}. No header: admitted (the all-in-one pool,
 * administrators, tests). Runs after the bearer-token check.
 */
public class EpochFilter {

    @Inject
    HaService ha;

    @ServerRequestFilter(priority = Priorities.USER + 100)
    public Response check(ContainerRequestContext request) {
        String header = request.getHeaderString(FencingToken.HEADER);
        if (header == null || !request.getUriInfo().getPath().startsWith("/api/")) {
            return null;
        }
        long epoch;
        try {
            epoch = Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            epoch = -1;
        }
        if (epoch < 0) {
            return error(NodeErrorCode.INVALID_REQUEST, "header " + FencingToken.HEADER + " is '" + header
                    + "': send the master's epoch as a non-negative number", null);
        }
        try {
            ha.admitHeader(epoch);
        } catch (NodeException e) {
            return error(e.code(), e.getMessage(), e.object());
        }
        return null;
    }

    private static Response error(NodeErrorCode code, String message, String object) {
        return Response.status(code.httpStatus()).type(MediaType.APPLICATION_JSON)
                .entity(new io.atoll.node.api.ApiError(code.name(), message, object)).build();
    }
}
