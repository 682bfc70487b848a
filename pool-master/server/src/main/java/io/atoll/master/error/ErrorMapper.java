package io.atoll.master.error;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.atoll.node.api.ApiError;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error leaves the master as an {@link ApiError} ({@code {"code","message","object"}}, the
 * shape the node agent uses too). Request records refuse bad values in their constructors with
 * {@link IllegalArgumentException}; Jackson wraps those, and they come out as {@code INVALID_SPEC}.
 */
public class ErrorMapper {
    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    @ServerExceptionMapper
    public Response master(MasterException e) {
        if (e.code().kind() == MasterErrorCode.Kind.INTERNAL) {
            LOG.error(e.getMessage(), e);
        }
        return error(e.code(), e.getMessage(), e.object());
    }

    @ServerExceptionMapper
    public Response malformed(JsonProcessingException e) {
        Response refused = recordRefusal(e);
        return refused != null ? refused
                : error(MasterErrorCode.INVALID_REQUEST, "malformed JSON: " + e.getOriginalMessage(), null);
    }

    /** Declared on its own: Quarkus maps this subtype itself (400 without a body) unless an application mapper claims it. */
    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        Response refused = recordRefusal(e);
        if (refused != null) {
            return refused;
        }
        StringBuilder path = new StringBuilder();
        for (var ref : e.getPath()) {
            path.append(ref.getFieldName() != null ? (path.length() == 0 ? "" : ".") + ref.getFieldName() : "[" + ref.getIndex() + "]");
        }
        String field = path.length() == 0 ? "" : " at '" + path + "'";
        return error(MasterErrorCode.INVALID_REQUEST, "malformed JSON" + field + ": " + e.getOriginalMessage(), null);
    }

    @ServerExceptionMapper
    public Response illegalArgument(IllegalArgumentException e) {
        return error(MasterErrorCode.INVALID_REQUEST, e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return error(MasterErrorCode.NOT_FOUND, "no such resource: check the path (the API is under /api/v1)", null);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        Response refused = recordRefusal(e);
        if (refused != null) {
            return refused;
        }
        if (e.getCause() instanceof JsonProcessingException json) {
            return malformed(json);
        }
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            LOG.error("request failed", e);
            return error(MasterErrorCode.INTERNAL, "internal error: " + e.getMessage(), null);
        }
        // 405, 406, 415…: keep the status JAX-RS chose, in the common shape.
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(MasterErrorCode.INVALID_REQUEST.name(), e.getMessage(), null)).build();
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("unexpected error", e);
        return error(MasterErrorCode.INTERNAL, "internal error: " + e, null);
    }

    /** A request record refused its values while the body was read: its message says what to fix. */
    private static Response recordRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ValueInstantiationException && t.getCause() instanceof IllegalArgumentException iae) {
                return error(MasterErrorCode.INVALID_SPEC, iae.getMessage(), null);
            }
        }
        return null;
    }

    public static Response error(MasterErrorCode code, String message, String object) {
        return Response.status(code.httpStatus()).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(code.name(), message, object)).build();
    }
}
