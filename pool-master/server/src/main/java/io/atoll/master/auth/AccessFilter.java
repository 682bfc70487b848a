package io.atoll.master.auth;

import io.atoll.master.error.ErrorMapper;
import io.atoll.master.error.MasterErrorCode;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.security.Principal;
import java.util.Optional;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Authentication and role checks for every JAX-RS endpoint: {@code Authorization: Bearer TOKEN},
 * then the caller's role against the endpoint's {@link MinimumRole} (or a
 * {@code @RolesAllowed} listing role names, honoured the same way: no other security layer runs). It runs after matching, on
 * the endpoint's own thread (a worker for the blocking endpoints), so the token lookup may use the
 * database. Paths outside JAX-RS ({@code /q/health}, {@code /q/openapi}) are not filtered: open.
 *
 * <p>Refusals use the module's error shape: 401 {@code UNAUTHORIZED} (with
 * {@code WWW-Authenticate: Bearer}), 403 {@code FORBIDDEN} naming the role needed and the caller's.
 */
public class AccessFilter {

    @Inject
    AuthService auth;

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public Response check(ContainerRequestContext request, ResourceInfo resource) {
        Method method = resource.getResourceMethod();
        if (method == null || method.isAnnotationPresent(Anonymous.class)) {
            return null;
        }
        Set<String> allowed = allowedRoles(method, resource.getResourceClass());
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return unauthorized("this API needs 'Authorization: Bearer TOKEN': log in with POST /api/v1/session/login or use an API token");
        }
        Optional<Caller> found = auth.authenticate(header.substring(7).trim());
        if (found.isEmpty()) {
            return unauthorized("the bearer token is unknown, expired or revoked: log in again (POST /api/v1/session/login)");
        }
        Caller caller = found.get();
        request.setProperty(Caller.PROPERTY, caller);
        request.setSecurityContext(new CallerContext(caller, request.getSecurityContext().isSecure()));
        if (!allowed.contains(caller.role())) {
            String lowest = Roles.ALL.stream().filter(allowed::contains).findFirst().orElse(Roles.POOL_ADMIN);
            return ErrorMapper.error(MasterErrorCode.FORBIDDEN, request.getMethod() + " /" + request.getUriInfo().getPath().replaceFirst("^/", "")
                    + " needs role " + lowest + " or above; user '" + caller.username() + "' has role " + caller.role(), null);
        }
        return null;
    }

    /**
     * The roles an endpoint allows: from the method's {@link MinimumRole} or {@code @RolesAllowed}
     * (the role names listed), else the class's, else pool-admin's alone — an endpoint nobody
     * annotated stays closed.
     */
    static Set<String> allowedRoles(Method method, Class<?> resourceClass) {
        Set<String> allowed = declared(method);
        if (allowed == null && resourceClass != null) {
            allowed = declared(resourceClass);
        }
        return allowed == null ? Roles.atLeast(Roles.POOL_ADMIN) : allowed;
    }

    private static Set<String> declared(AnnotatedElement element) {
        MinimumRole minimum = element.getAnnotation(MinimumRole.class);
        if (minimum != null) {
            return Roles.atLeast(minimum.value());
        }
        RolesAllowed listed = element.getAnnotation(RolesAllowed.class);
        return listed == null ? null : Set.of(listed.value());
    }

    private static Response unauthorized(String message) {
        return Response.fromResponse(ErrorMapper.error(MasterErrorCode.UNAUTHORIZED, message, null))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"atoll\"").build();
    }

    /** What {@code @Context SecurityContext} answers in a resource after the check. */
    record CallerContext(Caller caller, boolean secure) implements SecurityContext {
        @Override
        public Principal getUserPrincipal() {
            return caller;
        }

        @Override
        public boolean isUserInRole(String role) {
            return Roles.isRole(role) && Roles.includes(caller.role(), role);
        }

        @Override
        public boolean isSecure() {
            return secure;
        }

        @Override
        public String getAuthenticationScheme() {
            return "Bearer";
        }
    }
}
