package io.atoll.master.auth.audit;

import io.atoll.master.auth.Caller;
import io.atoll.master.event.AuditSink;
import io.atoll.node.api.ApiError;
import jakarta.inject.Inject;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;
import java.net.URI;
import java.time.Instant;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Records every write (POST, PUT, PATCH, DELETE) the API answers — accepted, refused by the
 * access check, failed — as a response filter, so no endpoint can forget it. Only the request
 * line, the caller and the result are kept; bodies (where passwords and tokens travel) never are.
 * After the row commits, the record also goes to the {@link AuditSink} (Kafka, when configured).
 */
@Provider
public class AuditFilter implements ContainerResponseFilter {
    private static final Logger LOG = Logger.getLogger(AuditFilter.class);
    private static final Set<String> WRITES = Set.of(HttpMethod.POST, HttpMethod.PUT, "PATCH", HttpMethod.DELETE);
    /** A request property naming who acted when no token did (the user name tried at a login). */
    public static final String USERNAME = "atoll.audit.username";
    /** A request property naming the object when the path does not ({@code user alice} at a login). */
    public static final String OBJECT = "atoll.audit.object";
    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[0-9a-fA-F-]{36}");

    @Inject
    AuditService audit;

    @Inject
    AuditSink sink;

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (!WRITES.contains(request.getMethod())) {
            return;
        }
        Caller caller = request.getProperty(Caller.PROPERTY) instanceof Caller c ? c : null;
        String username = caller != null ? caller.username() : (String) request.getProperty(USERNAME);
        String path = "/" + request.getUriInfo().getPath().replaceFirst("^/", "");
        String errorCode = response.getEntity() instanceof ApiError error ? error.code() : null;
        String object = request.getProperty(OBJECT) instanceof String named ? named : object(response, path);
        try {
            AuditRecord written = audit.record(new AuditRecord(null, Instant.now(), username, caller != null ? caller.role() : null,
                    request.getMethod(), path, object, response.getStatus(), errorCode));
            // Committed: now the integrators' copy (Kafka's atoll.audit topic when configured). Never blocks or throws.
            sink.publish(username == null ? "-" : username, written);
        } catch (RuntimeException e) {
            LOG.errorf(e, "audit: could not record %s %s by %s (status %d)", request.getMethod(), path, username, response.getStatus());
        }
    }

    /**
     * The error's object, else the created object (Location), else the kind and id in the path
     * ({@code vm 3f2a…}, {@code join-token 3f2a…} from {@code /api/v1/pool/join-tokens/3f2a…}). A path segment that is not a uuid is never copied: it might be anything.
     */
    private static String object(ContainerResponseContext response, String path) {
        if (response.getEntity() instanceof ApiError error && error.object() != null) {
            return truncate(error.object());
        }
        String from = path;
        Object location = response.getHeaders().getFirst(HttpHeaders.LOCATION);
        if (location != null && !(response.getStatus() == 202)) {
            from = URI.create(location.toString()).getPath();
        }
        String[] parts = from.split("/"); // "", "api", "v1", [PARENT, ...] KIND, ID, ...
        if (parts.length < 5 || !parts[1].equals("api")) {
            return null;
        }
        for (int i = 4; i < parts.length; i++) {
            if (ID.matcher(parts[i]).matches()) {
                String kind = parts[i - 1].endsWith("s") ? parts[i - 1].substring(0, parts[i - 1].length() - 1) : parts[i - 1];
                return truncate(kind + " " + parts[i]);
            }
        }
        return null;
    }

    private static String truncate(String s) {
        return s.length() > 255 ? s.substring(0, 255) : s;
    }
}
