package io.atoll.master.pool;

import java.time.Instant;
import java.util.UUID;

/**
 * A join token just created: the only answer that carries the token. The master keeps its hash.
 *
 * @param id the token's id
 * @param token the token, to give to {@code atoll host join --token} on the host that joins
 * @param expiresAt when it stops working
 * @param usesLeft how many hosts it may join
 */
public record IssuedJoinToken(UUID id, String token, Instant expiresAt, int usesLeft) {
    @Override
    public String toString() {
        return "IssuedJoinToken[id=" + id + ", expiresAt=" + expiresAt + ", usesLeft=" + usesLeft + "]";
    }
}
