package io.atoll.ha;

/**
 * A cluster member as an administrator names it: a pool master instance or a host's node agent. Its
 * JGroups logical name is {@code role/name} (e.g. {@code host/3f2a…}, {@code master/m1}), which is what
 * views carry and what {@link Quorum} counts.
 */
public record MemberId(Role role, String name) {
    public enum Role {
        MASTER("master"), AGENT("host");

        final String prefix;

        Role(String prefix) {
            this.prefix = prefix;
        }
    }

    public MemberId {
        if (role == null) {
            throw new IllegalArgumentException("a member needs a role");
        }
        if (name == null || name.isBlank() || name.contains("/") || name.length() > 200) {
            throw new IllegalArgumentException("a member name is 1 to 200 characters without '/': " + name);
        }
    }

    public static MemberId master(String name) {
        return new MemberId(Role.MASTER, name);
    }

    public static MemberId agent(String hostUuid) {
        return new MemberId(Role.AGENT, hostUuid);
    }

    /** The logical name back into an id, or null for a name that is not Atoll's. */
    public static MemberId parse(String logicalName) {
        if (logicalName == null) {
            return null;
        }
        int slash = logicalName.indexOf('/');
        if (slash < 0) {
            return null;
        }
        String prefix = logicalName.substring(0, slash);
        for (Role r : Role.values()) {
            if (r.prefix.equals(prefix) && slash + 1 < logicalName.length()) {
                return new MemberId(r, logicalName.substring(slash + 1));
            }
        }
        return null;
    }

    public String logicalName() {
        return role.prefix + "/" + name;
    }

    @Override
    public String toString() {
        return logicalName();
    }
}
