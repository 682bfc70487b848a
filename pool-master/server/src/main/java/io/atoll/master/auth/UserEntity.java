package io.atoll.master.auth;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A local user: a name, a PBKDF2 hash of the password (never the password), one role. */
@Entity
@Table(name = "app_user")
public class UserEntity {
    @Id
    private UUID uuid;
    private String username;
    private String passwordHash;
    private String role;
    private Instant createdAt;
    private Instant passwordChangedAt;

    protected UserEntity() {
    }

    UserEntity(String username, String passwordHash, String role) {
        this.uuid = UUID.randomUUID();
        this.username = username;
        this.passwordHash = passwordHash;
        this.role = role;
        this.createdAt = Instant.now();
        this.passwordChangedAt = createdAt;
    }

    public UUID getUuid() {
        return uuid;
    }

    public String getUsername() {
        return username;
    }

    String getPasswordHash() {
        return passwordHash;
    }

    void setPasswordHash(String passwordHash) {
        this.passwordHash = passwordHash;
        this.passwordChangedAt = Instant.now();
    }

    public String getRole() {
        return role;
    }

    void setRole(String role) {
        this.role = role;
    }

    User view() {
        return new User(uuid, username, role, createdAt, passwordChangedAt);
    }
}
