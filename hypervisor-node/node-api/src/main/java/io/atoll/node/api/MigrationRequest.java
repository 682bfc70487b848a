package io.atoll.node.api;

/**
 * Sends a running VM's memory and device state to a host that waits for it
 * ({@link IncomingInfo#uri()}). Disks stay where they are: shared storage both hosts see.
 *
 * @param uri where the target listens ({@code tcp:ADDRESS:PORT})
 * @param downtimeLimitMs the pause the guest may see at the switch-over to start with; default 100
 * @param maxDowntimeMs how far the limit may be raised, step by step, when the migration stalls
 *     (the guest dirties memory faster than it is sent); default 2000. Beyond it the migration is
 *     cancelled and the VM runs on where it was
 * @param bandwidthMiBps the most the migration may send per second; {@code null} for no limit
 * @param autoConverge slow the guest's vCPUs down when it keeps dirtying memory; default on
 * @param xbzrle send page deltas for pages written again (pays off for guests that rewrite the
 *     same memory); default off
 * @param mirrors storage migration: disk id → the target's NBD export
 *     ({@link IncomingInfo#disks()}); each disk is mirrored there before the memory moves
 */
public record MigrationRequest(String uri, Long downtimeLimitMs, Long maxDowntimeMs, Long bandwidthMiBps,
                               Boolean autoConverge, Boolean xbzrle, java.util.Map<String, String> mirrors) {
    public MigrationRequest {
        if (uri == null || !uri.matches("(tcp|unix):[^\\s]+")) {
            throw new IllegalArgumentException("migration uri '" + uri + "' is invalid: give tcp:ADDRESS:PORT from the target's incoming answer");
        }
        if (downtimeLimitMs == null) {
            downtimeLimitMs = 100L;
        }
        if (maxDowntimeMs == null) {
            maxDowntimeMs = Math.max(2000L, downtimeLimitMs);
        }
        if (downtimeLimitMs < 1 || maxDowntimeMs < downtimeLimitMs) {
            throw new IllegalArgumentException("downtime limits " + downtimeLimitMs + "/" + maxDowntimeMs
                    + " ms are invalid: give 1 ms or more, and a maximum at least the starting limit");
        }
        if (bandwidthMiBps != null && bandwidthMiBps < 1) {
            throw new IllegalArgumentException("bandwidthMiBps is " + bandwidthMiBps + ": give 1 or more, or omit it for no limit");
        }
        if (autoConverge == null) {
            autoConverge = true;
        }
        if (xbzrle == null) {
            xbzrle = false;
        }
        mirrors = mirrors == null ? java.util.Map.of() : java.util.Map.copyOf(mirrors);
        for (String target : mirrors.values()) {
            if (!target.matches("nbd://[^/\\s]+:\\d+/[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("mirror target '" + target + "' is invalid: give nbd://ADDRESS:PORT/EXPORT from the target's incoming answer");
            }
        }
    }

    /** A migration on shared storage with the given tuning. */
    public MigrationRequest(String uri, Long downtimeLimitMs, Long maxDowntimeMs, Long bandwidthMiBps, Boolean autoConverge,
                            Boolean xbzrle) {
        this(uri, downtimeLimitMs, maxDowntimeMs, bandwidthMiBps, autoConverge, xbzrle, null);
    }

    public MigrationRequest(String uri) {
        this(uri, null, null, null, null, null, null);
    }

    /** This request with the disks mirrored to the target's exports. */
    public MigrationRequest withMirrors(java.util.Map<String, String> targets) {
        return new MigrationRequest(uri, downtimeLimitMs, maxDowntimeMs, bandwidthMiBps, autoConverge, xbzrle, targets);
    }
}
