package io.atoll.master.auth;

import java.security.Principal;
import java.util.Objects;
import java.util.UUID;

/**
 * Who makes a request: the user its bearer token belongs to, the user's role at the time of the
 * request (read from the user row at each request, so a role change applies at once) and the token.
 */
public record Caller(UUID user, String username, String role, UUID token, TokenKind tokenKind) implements Principal {
    /** The request property under which {@link AccessFilter} leaves the caller. */
    public static final String PROPERTY = "atoll.caller";

    public Caller {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(tokenKind, "tokenKind");
        if (!Roles.isRole(role)) {
            throw new IllegalArgumentException("role '" + role + "' is unknown");
        }
    }

    @Override
    public String getName() {
        return username;
    }
}
