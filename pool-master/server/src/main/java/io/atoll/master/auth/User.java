package io.atoll.master.auth;

import java.time.Instant;
import java.util.UUID;

/** A user as the API shows it (never the password or its hash). */
public record User(UUID uuid, String username, String role, Instant createdAt, Instant passwordChangedAt) {
}
