package io.atoll.master.testing;

import io.atoll.master.auth.AuthService;
import io.atoll.master.auth.Requests;
import io.atoll.master.auth.Roles;
import io.quarkus.arc.Arc;
import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bearer tokens per role for {@code @QuarkusTest}s, made cheaply through the service layer (no
 * HTTP login): one user per role ({@code test-pool-admin}, …, {@code test-read-only}) and an API
 * token for it, created on first use and kept for the test run. Call only inside a running
 * {@code @QuarkusTest} application. {@link Api#api()} sends {@link #admin()}; use
 * {@link Api#as(String)} for another role, {@link Api#anonymous()} for none.
 */
public final class TestAuth {
    /** A password for the test users, should a test want to log in as one over HTTP. */
    public static final String PASSWORD = "test-password-0123";
    private static final Map<String, String> TOKENS = new ConcurrentHashMap<>();

    private TestAuth() {
    }

    /** A token of a user with this role (one of {@link Roles}). */
    public static String token(String role) {
        if (!Roles.isRole(role)) {
            throw new IllegalArgumentException("no such role: " + role);
        }
        return TOKENS.computeIfAbsent(role, TestAuth::create);
    }

    /**
     * {@code {"Authorization": "Bearer TOKEN"}} for a role; the token is made at the first read, so
     * the map may sit in a static field initialized before the application runs.
     */
    public static Map<String, String> header(String role) {
        return new AbstractMap<>() {
            @Override
            public Set<Entry<String, String>> entrySet() {
                return Set.of(Map.entry("Authorization", "Bearer " + token(role)));
            }
        };
    }

    public static String admin() {
        return token(Roles.POOL_ADMIN);
    }

    /** The user name {@link #token} creates for a role. */
    public static String username(String role) {
        return "test-" + role;
    }

    private static String create(String role) {
        AuthService auth = Arc.container().instance(AuthService.class).get();
        String name = username(role);
        var user = auth.users().stream().filter(u -> u.username().equals(name)).findFirst()
                .orElseGet(() -> auth.createUser(new Requests.CreateUser(name, PASSWORD, role)));
        return auth.createApiToken(user.uuid(), "tests").token();
    }
}
