package io.atoll.master.storage;

import java.time.Instant;
import java.util.UUID;

/**
 * A virtual disk as clients see it (XAPI's VDI).
 *
 * @param uuid its id in the pool
 * @param sr the repository it lives in
 * @param name its name
 * @param virtualSize the size the guest sees, in bytes
 * @param physicalUtilisation bytes it takes on the storage, at the last look
 * @param location the adapter's id of the disk in its repository
 * @param readOnly snapshots are read-only
 * @param snapshotOf for a snapshot, the disk it was taken of
 * @param created when it was created
 */
public record Vdi(UUID uuid, UUID sr, String name, long virtualSize, long physicalUtilisation, String location, boolean readOnly,
                  UUID snapshotOf, Instant created) {
}
