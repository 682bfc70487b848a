package io.atoll.master.auth;

import java.util.regex.Pattern;

/** The bodies of the user, session and token endpoints. Passwords never appear in {@code toString()}. */
public final class Requests {
    private static final Pattern USERNAME = Pattern.compile("[a-z][a-z0-9._-]{0,63}");

    private Requests() {
    }

    static String checkUsername(String username) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw new IllegalArgumentException("username '" + username + "' must be 1-64 of a-z 0-9 . _ -, starting with a letter");
        }
        return username;
    }

    static String checkRole(String role) {
        if (role == null || !Roles.isRole(role)) {
            throw new IllegalArgumentException("role '" + role + "' is unknown: give one of " + String.join(", ", Roles.ALL));
        }
        return role;
    }

    static void present(String value, String name) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    /** {@code POST /api/v1/session/login}. */
    public record Login(String username, String password) {
        public Login {
            present(username, "username");
            present(password, "password");
        }

        @Override
        public String toString() {
            return "Login[username=" + username + "]";
        }
    }

    /** {@code POST /api/v1/users}. */
    public record CreateUser(String username, String password, String role) {
        public CreateUser {
            checkUsername(username);
            present(password, "password");
            checkRole(role);
        }

        @Override
        public String toString() {
            return "CreateUser[username=" + username + ", role=" + role + "]";
        }
    }

    /** {@code PUT /api/v1/users/{uuid}/password}. */
    public record SetPassword(String password) {
        public SetPassword {
            present(password, "password");
        }

        @Override
        public String toString() {
            return "SetPassword[]";
        }
    }

    /** {@code PUT /api/v1/users/{uuid}/role}. */
    public record SetRole(String role) {
        public SetRole {
            checkRole(role);
        }
    }

    /** {@code POST /api/v1/tokens}: a name for the script that will use it, and optionally a lifetime in days (none: until revoked). */
    public record CreateToken(String name, Integer expiresInDays) {
        public CreateToken {
            if (name == null || name.isBlank() || name.length() > 128) {
                throw new IllegalArgumentException("name is required (1-128 characters): say what will use the token");
            }
            if (expiresInDays != null && (expiresInDays < 1 || expiresInDays > 3650)) {
                throw new IllegalArgumentException("expiresInDays is " + expiresInDays + ": give 1 to 3650, or omit it for a token that lives until revoked");
            }
        }
    }
}
