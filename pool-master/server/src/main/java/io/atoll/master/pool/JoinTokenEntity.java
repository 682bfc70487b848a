package io.atoll.master.pool;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * A join token: lets a host join the pool by itself, a number of times until it expires. Only the
 * SHA-256 of the token is stored. No optimistic version: a join locks the row
 * ({@code SELECT … FOR UPDATE}) before it takes a use.
 */
@Entity
@Table(name = "join_token")
public class JoinTokenEntity {
    @Id
    private UUID uuid;
    private String tokenHash;
    private String createdBy;
    private Instant createdAt;
    private Instant expiresAt;
    private int uses;
    private int usesLeft;

    protected JoinTokenEntity() {
    }

    JoinTokenEntity(String tokenHash, String createdBy, Instant expiresAt, int uses) {
        this.uuid = UUID.randomUUID();
        this.tokenHash = tokenHash;
        this.createdBy = createdBy;
        this.createdAt = Instant.now();
        this.expiresAt = expiresAt;
        this.uses = uses;
        this.usesLeft = uses;
    }

    /** Why the token cannot join a host now, or {@code null} when it can. */
    String whyUnusable(Instant now) {
        if (!expiresAt.isAfter(now)) {
            return "join token " + uuid + " expired at " + expiresAt + ": create a new one (atoll pool join-token create)";
        }
        if (usesLeft <= 0) {
            return "join token " + uuid + " is used up (" + (uses == 1 ? "its one use" : "all " + uses + " of its uses")
                    + " joined hosts): create a new one (atoll pool join-token create --uses N)";
        }
        return null;
    }

    /** Takes one use; the caller holds the row lock and checked {@link #whyUnusable}. */
    void takeUse() {
        if (usesLeft <= 0) {
            throw new IllegalStateException("join token " + uuid + " has no use left");
        }
        usesLeft--;
    }

    UUID getUuid() {
        return uuid;
    }

    int getUsesLeft() {
        return usesLeft;
    }

    Instant getExpiresAt() {
        return expiresAt;
    }

    JoinToken view(Instant now) {
        JoinToken.State state = !expiresAt.isAfter(now) ? JoinToken.State.EXPIRED : usesLeft <= 0 ? JoinToken.State.USED_UP : JoinToken.State.VALID;
        return new JoinToken(uuid, createdBy, createdAt, expiresAt, uses, usesLeft, state);
    }
}
