package io.atoll.master.auth;

import java.time.Instant;
import java.util.UUID;

/** An API token as listed: its id and name, never the token. */
public record ApiToken(UUID id, String name, Instant createdAt, Instant expiresAt) {
}
