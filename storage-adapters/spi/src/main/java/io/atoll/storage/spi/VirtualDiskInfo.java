package io.atoll.storage.spi;

import java.time.Instant;
import java.util.Map;

/**
 * A virtual disk or a snapshot of one.
 *
 * @param id the adapter's stable identifier of the disk in its repository (a uuid)
 * @param name its name
 * @param virtualSize the size the guest sees, in bytes
 * @param physicalUtilisation bytes it takes on the storage
 * @param snapshotOf for a snapshot: the id of the disk it was taken of; {@code null} for a disk
 * @param readOnly snapshots are read-only
 * @param cbtEnabled whether changed-block tracking is on
 * @param createdAt when it was created
 * @param metadata its key/value metadata
 */
public record VirtualDiskInfo(String id, String name, long virtualSize, long physicalUtilisation, String snapshotOf,
                              boolean readOnly, boolean cbtEnabled, Instant createdAt, Map<String, String> metadata) {
    public VirtualDiskInfo {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    public boolean isSnapshot() {
        return snapshotOf != null;
    }
}
