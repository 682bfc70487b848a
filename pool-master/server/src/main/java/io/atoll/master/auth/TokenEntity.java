package io.atoll.master.auth;

import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A session or API token of a user; only the SHA-256 of the token itself is stored. */
@Entity
@Table(name = "auth_token")
public class TokenEntity {
    @Id
    private UUID uuid;
    private UUID userUuid;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private TokenKind kind;
    private String name;
    private String tokenHash;
    private Instant createdAt;
    private Instant expiresAt;

    protected TokenEntity() {
    }

    TokenEntity(UUID userUuid, TokenKind kind, String name, String tokenHash, Instant expiresAt) {
        this.uuid = UUID.randomUUID();
        this.userUuid = userUuid;
        this.kind = kind;
        this.name = name;
        this.tokenHash = tokenHash;
        this.createdAt = Instant.now();
        this.expiresAt = expiresAt;
    }

    UUID getUuid() {
        return uuid;
    }

    UUID getUserUuid() {
        return userUuid;
    }

    TokenKind getKind() {
        return kind;
    }

    Instant getExpiresAt() {
        return expiresAt;
    }

    ApiToken view() {
        return new ApiToken(uuid, name, createdAt, expiresAt);
    }
}
