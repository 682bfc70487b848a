package io.atoll.master.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Users and tokens ({@code atoll.master.auth.*}). */
@ConfigMapping(prefix = "atoll.master.auth")
public interface AuthConfig {

    /** How long a session token from {@code POST /api/v1/session/login} is valid (from the login, not from the last use). */
    @WithDefault("8h")
    Duration sessionTimeout();

    /**
     * PBKDF2-HMAC-SHA256 iterations for a new password hash (OWASP's 2023 figure). Each hash keeps its
     * own count, so raising this applies to passwords set from then on and old ones still verify.
     */
    @WithDefault("600000")
    int passwordIterations();

    /** The shortest password accepted when a user is created or a password changed. */
    @WithDefault("10")
    int passwordMinLength();
}
