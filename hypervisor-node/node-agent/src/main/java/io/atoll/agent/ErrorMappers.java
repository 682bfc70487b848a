package io.atoll.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.atoll.agent.storage.StorageErrors;
import io.atoll.node.api.ApiError;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.vm.NodeException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error leaves the agent as an {@link ApiError}: a code, what to do, the object concerned. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response node(NodeException e) {
        if (e.code().kind() == NodeErrorCode.Kind.INTERNAL) {
            LOG.error(e.getMessage(), e);
        }
        return error(e.code(), e.getMessage(), e.object());
    }

    @ServerExceptionMapper
    public Response network(io.atoll.network.NetworkException e) {
        if (e.code().kind() != NodeErrorCode.Kind.USER) {
            LOG.warn(e.getMessage());
        }
        return error(e.code(), e.getMessage(), e.object());
    }

    /** An adapter's refusal that reached the API unwrapped: its code, prefixed STORAGE_. */
    @ServerExceptionMapper
    public Response storage(StorageException e) {
        NodeErrorCode code = StorageErrors.code(e);
        if (code.kind() != NodeErrorCode.Kind.USER) {
            LOG.warn(e.getMessage(), e);
        }
        return error(code, e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response malformed(JsonProcessingException e) {
        Response spec = specRefusal(e);
        return spec != null ? spec : error(NodeErrorCode.INVALID_REQUEST, "malformed JSON: " + e.getOriginalMessage(), null);
    }

    /** A spec record refused its values while the body was read: the record's message says what to fix. */
    private static Response specRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ValueInstantiationException && t.getCause() instanceof IllegalArgumentException iae) {
                return error(NodeErrorCode.INVALID_SPEC, iae.getMessage(), null);
            }
        }
        return null;
    }

    @ServerExceptionMapper
    public Response illegalArgument(IllegalArgumentException e) {
        return error(NodeErrorCode.INVALID_REQUEST, e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return error(NodeErrorCode.NOT_FOUND, "no such resource: check the path and that a VM uuid is well-formed", null);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        Response spec = specRefusal(e);
        if (spec != null) {
            return spec;
        }
        if (e.getCause() instanceof JsonProcessingException json) {
            return malformed(json);
        }
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return error(NodeErrorCode.INTERNAL, e.getMessage(), null);
        }
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(NodeErrorCode.INVALID_REQUEST.name(), e.getMessage(), null)).build();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("unexpected error", e);
        return error(NodeErrorCode.INTERNAL, "internal error: " + e.getMessage(), null);
    }

    static Response error(NodeErrorCode code, String message, String object) {
        return Response.status(code.httpStatus()).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(code.name(), message, object)).build();
    }
}
