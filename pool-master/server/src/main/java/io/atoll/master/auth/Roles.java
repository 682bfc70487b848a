package io.atoll.master.auth;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * XAPI's six roles, from the most to the least powerful. Each includes every role below it: a
 * pool-admin may do whatever a pool-operator may, and so on down to read-only. A user has exactly
 * one role; an endpoint names the lowest role it allows ({@link MinimumRole}).
 */
public final class Roles {
    public static final String POOL_ADMIN = "pool-admin";
    public static final String POOL_OPERATOR = "pool-operator";
    public static final String VM_POWER_ADMIN = "vm-power-admin";
    public static final String VM_ADMIN = "vm-admin";
    public static final String VM_OPERATOR = "vm-operator";
    public static final String READ_ONLY = "read-only";

    /** Lowest first: a role's index is its rank. */
    public static final List<String> ALL = List.of(READ_ONLY, VM_OPERATOR, VM_ADMIN, VM_POWER_ADMIN, POOL_OPERATOR, POOL_ADMIN);

    private Roles() {
    }

    public static boolean isRole(String role) {
        return ALL.contains(role);
    }

    /** Whether a user of role {@code held} may call an endpoint whose minimum is {@code needed}. */
    public static boolean includes(String held, String needed) {
        return rank(held) >= rank(needed);
    }

    /** Every role allowed by an endpoint whose minimum is {@code minimum}: that role and those above it. */
    public static Set<String> atLeast(String minimum) {
        int from = rank(minimum);
        return ALL.stream().filter(r -> rank(r) >= from).collect(Collectors.toUnmodifiableSet());
    }

    private static int rank(String role) {
        int rank = ALL.indexOf(role);
        if (rank < 0) {
            throw new IllegalArgumentException("role '" + role + "' is unknown: give one of " + String.join(", ", ALL));
        }
        return rank;
    }
}
