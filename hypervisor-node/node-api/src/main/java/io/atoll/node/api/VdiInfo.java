package io.atoll.node.api;

import java.time.Instant;
import java.util.Map;

/**
 * A virtual disk (or a snapshot of one) in a storage repository, as the adapter reports it.
 *
 * @param id the adapter's id of the disk in its repository (XAPI's VDI location)
 * @param name its name
 * @param virtualSize the size the guest sees, in bytes
 * @param physicalUtilisation bytes it takes on the storage
 * @param snapshotOf for a snapshot, the id of the disk it was taken of; {@code null} for a disk
 * @param readOnly snapshots are read-only
 * @param cbtEnabled whether changed-block tracking is on
 * @param createdAt when it was created
 * @param metadata its key/value metadata
 */
public record VdiInfo(String id, String name, long virtualSize, long physicalUtilisation, String snapshotOf,
                      boolean readOnly, boolean cbtEnabled, Instant createdAt, Map<String, String> metadata) {
    public VdiInfo {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
