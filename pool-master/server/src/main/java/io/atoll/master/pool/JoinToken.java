package io.atoll.master.pool;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A join token as listed: never the token itself, which is shown once, at creation.
 *
 * @param id the token's id (to revoke it)
 * @param createdBy the pool-admin who created it
 * @param createdAt when
 * @param expiresAt when it stops working
 * @param uses how many hosts it may join in all
 * @param usesLeft how many more
 * @param state whether it would join a host now
 */
public record JoinToken(UUID id, String createdBy, Instant createdAt, Instant expiresAt, int uses, int usesLeft, State state) {
    public JoinToken {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
    }

    /** Whether a token would join a host now. */
    public enum State { VALID, EXPIRED, USED_UP }
}
