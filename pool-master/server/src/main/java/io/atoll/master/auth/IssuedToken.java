package io.atoll.master.auth;

import java.time.Instant;
import java.util.UUID;

/**
 * A token just created (a login or {@code POST /api/v1/tokens}): the only answer that carries the
 * token itself. It is shown once; the master keeps a hash.
 */
public record IssuedToken(UUID id, String name, String token, String username, String role, Instant expiresAt) {
    @Override
    public String toString() {
        return "IssuedToken[id=" + id + ", name=" + name + ", username=" + username + ", role=" + role + ", expiresAt=" + expiresAt + "]";
    }
}
