package io.atoll.storage.spi;

import java.util.List;
import java.util.Map;

/**
 * A storage repository attached on this host: its virtual disks and their operations.
 *
 * <p>Unless a method says otherwise it may be called on any host where the repository is attached
 * (the pool master picks one), from any thread; operations on the same disk are not called
 * concurrently by the host. A failed operation changes nothing on the storage. Disk and snapshot
 * ids are the adapter's; names are the administrator's.
 *
 * <p>Snapshots are read-only disks ({@link VirtualDiskInfo#snapshotOf()} set). Deleting one
 * never breaks the disks that depend on it: chains are merged (coalesced) as needed.
 */
public interface StorageRepository {

    /** The repository's identity and space now. */
    SrInfo info();

    /** Re-reads the storage and lists every disk and snapshot in it. */
    List<VirtualDiskInfo> scan();

    /**
     * One disk or snapshot.
     *
     * @throws StorageException {@code NOT_FOUND}
     */
    VirtualDiskInfo disk(String diskId);

    /**
     * Creates an empty disk (reads as zeroes).
     *
     * @throws StorageException {@code NO_SPACE} when the repository cannot hold it (thick
     *     adapters, or a thin one asked for more than it can address), {@code INVALID_ARGUMENT}
     *     for a size beyond what the adapter supports (2 TiB without {@code SUPPORTS_LARGE_DISKS})
     */
    VirtualDiskInfo createDisk(DiskCreateRequest request);

    /**
     * Deletes a disk, or a snapshot. Deleting a snapshot that other disks or snapshots depend on
     * merges its data into the chain so that they read the same data after as before. When a
     * running VM on this host holds a disk of that chain, {@code live} is its handle and the merge
     * happens online; otherwise {@code live} is {@code null}.
     *
     * @throws StorageException {@code IN_USE} when the disk itself is attached
     */
    void deleteDisk(String diskId, LiveBlockDevice live);

    /** Deletes a disk or snapshot no running VM holds. */
    default void deleteDisk(String diskId) {
        deleteDisk(diskId, null);
    }

    /**
     * Grows a disk. The new space reads as zeroes.
     *
     * @throws StorageException {@code SHRINK_NOT_ALLOWED} when {@code newSize} is smaller than
     *     the disk, {@code IN_USE} when the disk is attached and the adapter cannot grow it online
     */
    default VirtualDiskInfo resize(String diskId, long newSize) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_RESIZE);
    }

    /**
     * Takes a read-only snapshot of a disk. When a running VM on this host writes to the disk,
     * {@code live} is its handle: the adapter takes the snapshot through it, without stopping the
     * guest. After it returns the disk's id still names the disk the VM writes to.
     */
    default VirtualDiskInfo snapshot(String diskId, String name, LiveBlockDevice live) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_SNAPSHOT);
    }

    /** Snapshots a disk no running VM holds. */
    default VirtualDiskInfo snapshot(String diskId, String name) {
        return snapshot(diskId, name, null);
    }

    /**
     * Creates a new writable disk with the contents of a disk or snapshot. The source must not be
     * written while this runs (clone a snapshot of a running VM's disk).
     */
    default VirtualDiskInfo clone(String sourceId, String name, CloneMode mode) {
        throw StorageException.notSupported(mode == CloneMode.LINKED ? StorageBehavior.SUPPORTS_LINKED_CLONE
                : StorageBehavior.SUPPORTS_FULL_CLONE);
    }

    /**
     * Brings a disk back to the contents of one of its snapshots; what was written since is
     * lost. The disk keeps its id; the snapshot stays. The disk must not be attached.
     */
    default VirtualDiskInfo revert(String diskId, String snapshotId) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_REVERT);
    }

    /** Replaces a disk's metadata. */
    default VirtualDiskInfo setMetadata(String diskId, Map<String, String> metadata) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_METADATA);
    }

    /**
     * Makes a disk ready to be opened by QEMU on this host and says how. Read-write on one host at
     * most: attaching read-write a disk that another host holds read-write fails with
     * {@code IN_USE} naming that host. Called on the host that runs the VM, before QEMU starts.
     */
    DiskAttachment attach(String diskId, AccessMode mode);

    /**
     * Attaches a disk read-write on this host for a VM migrating in while the source host still
     * holds it read-write: the one moment two hosts hold a disk read-write, which live migration
     * on shared storage needs (the target's QEMU opens the disk before the source lets go). QEMU
     * keeps a single writer across it: the source stops writing and gives up its image locks at
     * the switch-over, the target writes only after. The source detaches once the VM has left it;
     * after a failed migration this host detaches. Adapters that track one writer per disk allow
     * exactly one other read-write holder here.
     *
     * @throws StorageException {@code IN_USE} when more than one other host holds the disk
     *     read-write, or another host holds it read-only; {@code INVALID_ARGUMENT} for a snapshot
     */
    default DiskAttachment attachForIncomingMigration(String diskId) {
        return attach(diskId, AccessMode.READ_WRITE);
    }

    /** Releases a disk on this host after QEMU closed it. Idempotent. */
    void detach(String diskId);

    /**
     * Starts tracking changed blocks on a disk from now on; the next snapshot is the first one a
     * list of changes can start from.
     */
    default VirtualDiskInfo enableChangedBlockTracking(String diskId) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_CBT);
    }

    /** Stops tracking and forgets what was tracked. */
    default VirtualDiskInfo disableChangedBlockTracking(String diskId) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_CBT);
    }

    /**
     * The blocks that changed between two snapshots of the same disk, the earlier first, both taken
     * while tracking was on.
     *
     * @throws StorageException {@code NOT_FOUND} when the tracking data for that range is gone
     *     (tracking was disabled in between, or a snapshot was taken without it): the caller falls
     *     back to a full copy
     */
    default ChangedBlocks changedBlocks(String fromSnapshotId, String toSnapshotId) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_CBT);
    }

    /**
     * The repository's heartbeat area for the HA statefile. The same area is seen by every host
     * the repository is attached on.
     *
     * @throws StorageException {@code NOT_SUPPORTED} without {@link StorageBehavior#SUPPORTS_HEARTBEAT}
     */
    default HeartbeatArea heartbeatArea() {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_HEARTBEAT);
    }

    /**
     * Breaks the locks of a host that is certainly dead or fenced: forgets every attachment
     * {@code hostUuid} holds in this repository, read-write or read-only, so that another host
     * can attach those disks read-write (an HA restart). Called on a surviving host, only after the
     * pool master knows the other host stopped its VMs (it fenced itself, or was powered off);
     * calling it for a host whose VMs still run lets two hosts write one disk. Refuses this host
     * itself. Idempotent.
     *
     * @return the ids of the disks whose attachment was released (empty when it held none)
     * @throws StorageException {@code INVALID_ARGUMENT} for this host's own uuid,
     *     {@code NOT_SUPPORTED} without {@link StorageBehavior#SUPPORTS_RELEASE_HOST}
     */
    default List<String> releaseHost(String hostUuid) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_RELEASE_HOST);
    }

    /**
     * Detaches the repository from this host. Called after every disk of it was detached here.
     *
     * @throws StorageException {@code IN_USE} naming the disks still attached
     */
    void detach();
}
