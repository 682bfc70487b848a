package io.atoll.node.api;

/**
 * Where a host waits for a VM migrating in.
 *
 * @param uri what the source migrates to ({@code tcp:ADDRESS:PORT})
 * @param disks for a storage migration: each disk id and the NBD export the source mirrors it
 *     into ({@code nbd://ADDRESS:PORT/EXPORT}); empty on shared storage
 */
public record IncomingInfo(String uri, java.util.Map<String, String> disks) {
    public IncomingInfo {
        disks = disks == null ? java.util.Map.of() : java.util.Map.copyOf(disks);
    }

    public IncomingInfo(String uri) {
        this(uri, java.util.Map.of());
    }
}
