package io.atoll.master.error;

import java.util.UUID;

/**
 * Parses path and query parameters into the master's errors. JAX-RS would answer a bad number or
 * uuid with a bare 404; an administrator should read which value was wrong.
 */
public final class Params {
    private Params() {
    }

    /** A uuid in a path; a malformed one is "not found" with the code of that kind of object. */
    public static UUID uuid(String value, MasterErrorCode notFound, String kind) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new MasterException(notFound, kind + " " + value, "no " + kind + " has the uuid '" + value + "' (not a uuid)");
        }
    }

    /** An optional whole-number query parameter. */
    public static Long optionalLong(String name, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "query parameter '" + name + "' is '" + value + "': give a whole number");
        }
    }

    /** A whole-number query parameter with a default. */
    public static long longOr(String name, String value, long defaultValue) {
        Long parsed = optionalLong(name, value);
        return parsed == null ? defaultValue : parsed;
    }

    /** A boolean query parameter: {@code true} or {@code false}. */
    public static boolean bool(String name, String value) {
        if ("true".equalsIgnoreCase(value)) {
            return true;
        }
        if ("false".equalsIgnoreCase(value)) {
            return false;
        }
        throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "query parameter '" + name + "' is '" + value + "': give true or false");
    }
}
