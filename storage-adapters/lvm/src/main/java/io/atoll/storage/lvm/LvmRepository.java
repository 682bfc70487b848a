package io.atoll.storage.lvm;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.ChangedBlocks;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.Names;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A volume group attached on this host. Every call reads the group's metadata again (other hosts
 * change it) and runs under this object's lock, so that this host never runs two metadata changes
 * at once. Between hosts the pool serialises changes to one repository (as XAPI's master does for
 * LVM-based SRs): lvm2 here has no cluster lock.
 *
 * <p>Attachments are recorded in the volume's tags ({@code atoll_rw.HOST}, {@code atoll_ro.HOST}),
 * so that every host sees who holds a disk read-write.
 */
final class LvmRepository implements StorageRepository {
    private static final System.Logger LOG = System.getLogger(LvmRepository.class.getName());

    private final SrConfig config;
    private final String host;
    private final VolumeStore store;
    private final VolumeAccess access;
    private final Coalescer coalescer;
    private final Snapshots snapshots;
    private final ChangeTracking tracking;
    private final Consumer<String> onDetach;
    /** Disks attached on this host, with the volumes opened for each (a live snapshot adds one). */
    private final Map<String, List<Volume>> attached = new LinkedHashMap<>();

    LvmRepository(SrConfig config, String host, VolumeStore store, VolumeAccess access, Consumer<String> onDetach) {
        this.config = config;
        this.host = host;
        this.store = store;
        this.access = access;
        this.coalescer = new Coalescer(store, access);
        this.snapshots = new Snapshots(store, access, coalescer, host);
        this.tracking = new ChangeTracking(store);
        this.onDetach = onDetach;
    }

    @Override
    public synchronized SrInfo info() {
        Lvm.Vg g = store.lvm.vg(store.vg);
        long virtual = store.tree().visible().stream().mapToLong(Volume::virtualSize).sum();
        return new SrInfo(config.uuid(), config.name(), config.type(), true, g.size(), g.size() - g.free(), virtual);
    }

    @Override
    public synchronized List<VirtualDiskInfo> scan() {
        return store.tree().visible().stream().map(Volume::info).toList();
    }

    @Override
    public synchronized VirtualDiskInfo disk(String diskId) {
        return store.tree().get(diskId).info();
    }

    @Override
    public synchronized VirtualDiskInfo createDisk(DiskCreateRequest request) {
        List<String> tags = Snapshots.identity(UUID.randomUUID().toString(), Volume.Kind.DISK, request.name(), null, request.metadata());
        long extents = store.reserve("disk '" + request.name() + "'", request.virtualSize())[0];
        Volume v = store.create(extents, request.virtualSize(), tags, null, false, false);
        LOG.log(System.Logger.Level.INFO, "repository " + config.name() + ": disk " + v.id() + " ('" + v.name() + "') created, "
                + request.virtualSize() + " bytes in volume " + store.vg + "/" + v.lvName());
        return v.info();
    }

    @Override
    public synchronized void deleteDisk(String diskId, LiveBlockDevice live) {
        VolumeTree t = store.tree();
        Volume v = t.get(diskId);
        if (attached.containsKey(diskId) || v.inUse()) {
            throw new StorageException(StorageErrorCode.IN_USE, t.describe(v) + " is attached"
                    + (v.writer() != null ? " read-write on host " + v.writer() : v.readers().isEmpty() ? " on this host"
                    : " read-only on host " + String.join(", ", v.readers())) + ": detach it first");
        }
        coalescer.delete(v, live);
        LOG.log(System.Logger.Level.INFO, "repository " + config.name() + ": " + t.describe(v) + " deleted");
    }

    @Override
    public synchronized VirtualDiskInfo resize(String diskId, long newSize) {
        Names.checkSize("disk " + diskId, newSize);
        VolumeTree t = store.tree();
        Volume disk = t.get(diskId);
        if (t.kindOf(disk) != Volume.Kind.DISK) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, t.describe(disk) + " is read-only: only disks are resized");
        }
        if (newSize < disk.virtualSize()) {
            throw new StorageException(StorageErrorCode.SHRINK_NOT_ALLOWED, "disk " + diskId + " is " + disk.virtualSize()
                    + " bytes: it cannot shrink to " + newSize + " (data would be lost); give a size of at least " + disk.virtualSize());
        }
        if (newSize == disk.virtualSize()) {
            return disk.info();
        }
        t.holderInSubtree(disk).ifPresent(h -> {
            throw new StorageException(StorageErrorCode.IN_USE, h + ": disks grow only while detached");
        });
        Volume grown = new Resizer(store).grow(disk, newSize);
        LOG.log(System.Logger.Level.INFO, "repository " + config.name() + ": disk " + diskId + " grown to " + newSize + " bytes");
        return grown.info();
    }

    @Override
    public synchronized VirtualDiskInfo snapshot(String diskId, String name, LiveBlockDevice live) {
        Names.checkName("snapshot", name);
        VolumeTree t = store.tree();
        Volume snap = snapshots.snapshot(t, t.get(diskId), name, live);
        if (live != null) {
            attached.computeIfPresent(diskId, (k, opened) -> {
                List<Volume> more = new ArrayList<>(opened);
                more.add(store.tree().get(diskId));
                return more;
            });
        }
        LOG.log(System.Logger.Level.INFO, "repository " + config.name() + ": snapshot " + snap.id() + " ('" + name + "') of disk "
                + diskId + (live != null ? " taken through its running VM" : " taken"));
        return snap.info();
    }

    @Override
    public synchronized VirtualDiskInfo clone(String sourceId, String name, CloneMode mode) {
        Names.checkName("disk", name);
        VolumeTree t = store.tree();
        Volume source = t.get(sourceId);
        Volume clone = mode == CloneMode.LINKED ? snapshots.linkedClone(t, source, name) : snapshots.fullClone(t, source, name);
        LOG.log(System.Logger.Level.INFO, "repository " + config.name() + ": disk " + clone.id() + " ('" + name + "') is a "
                + mode.name().toLowerCase() + " clone of " + sourceId);
        return clone.info();
    }

    @Override
    public synchronized VirtualDiskInfo revert(String diskId, String snapshotId) {
        VolumeTree t = store.tree();
        Volume disk = snapshots.revert(t, t.get(diskId), t.get(snapshotId));
        LOG.log(System.Logger.Level.INFO, "repository " + config.name() + ": disk " + diskId + " reverted to snapshot " + snapshotId);
        return disk.info();
    }

    @Override
    public synchronized VirtualDiskInfo setMetadata(String diskId, Map<String, String> metadata) {
        List<String> tags = new ArrayList<>();
        metadata.forEach((k, v) -> tags.add(Tags.meta(k, v)));
        Volume v = store.tree().get(diskId);
        store.retag(v, tags, v.metadataTags());
        return store.tree().get(diskId).info();
    }

    @Override
    public synchronized DiskAttachment attach(String diskId, AccessMode mode) {
        return attach(diskId, mode, false);
    }

    /** The source's read-write tag stays until it detaches after the switch-over: one other writer is allowed. */
    @Override
    public synchronized DiskAttachment attachForIncomingMigration(String diskId) {
        return attach(diskId, AccessMode.READ_WRITE, true);
    }

    private DiskAttachment attach(String diskId, AccessMode mode, boolean incomingMigration) {
        VolumeTree t = store.tree();
        Volume v = t.get(diskId);
        boolean rw = mode == AccessMode.READ_WRITE;
        if (rw && t.kindOf(v) != Volume.Kind.DISK) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, t.describe(v) + " is read-only: attach it READ_ONLY");
        }
        String mine = Tags.tag(rw ? Tags.RW : Tags.RO, host);
        if (rw && !incomingMigration && v.writer() != null && !v.writer().equals(host)) {
            throw heldBy(v, v.writer());
        }
        store.retag(v, List.of(mine), List.of());
        if (rw) {
            // Two hosts may have checked at the same moment: the one that finds another writer backs off
            // (a migration's target tolerates exactly one: its source).
            Volume now = store.tree().get(diskId);
            List<String> others = now.tags().stream().filter(tag -> tag.startsWith(Tags.RW + ".") && !tag.equals(mine)).toList();
            if (others.size() > (incomingMigration ? 1 : 0)) {
                store.retag(now, List.of(), List.of(mine));
                throw heldBy(v, Tags.decode(others.get(0).substring(Tags.RW.length() + 1)));
            }
        }
        Map<String, Object> protocol;
        try {
            protocol = access.open(store.lvm, store.vg, v, store.window(v));
        } catch (RuntimeException e) {
            store.retag(store.tree().get(diskId), List.of(), List.of(mine));
            throw e;
        }
        attached.put(diskId, List.of(v));
        LOG.log(System.Logger.Level.INFO, "repository " + config.name() + ": disk " + diskId + " attached " + mode + " via "
                + access.describe());
        return new DiskAttachment(protocol, "qcow2", Map.of(), !rw, List.of());
    }

    /** Removes the host's {@code atoll_rw}/{@code atoll_ro} tags from every volume of the group. */
    @Override
    public synchronized List<String> releaseHost(String other) {
        if (other == null || other.isBlank()) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "'" + other + "' is not a host uuid");
        }
        if (other.equals(host)) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "host " + other + " is this host: a host never breaks its own "
                    + "locks; detach its disks (stop its VMs) instead");
        }
        List<String> released = new java.util.ArrayList<>();
        String rw = Tags.tag(Tags.RW, other);
        String ro = Tags.tag(Tags.RO, other);
        for (Volume v : store.tree().all()) {
            List<String> drop = v.tags().stream().filter(tag -> tag.equals(rw) || tag.equals(ro)).toList();
            if (!drop.isEmpty()) {
                store.retag(v, List.of(), drop);
                released.add(v.id());
            }
        }
        if (!released.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "repository " + config.name() + ": released the attachments of fenced host " + other
                    + " on " + released);
        }
        return released;
    }

    private static StorageException heldBy(Volume v, String holder) {
        return new StorageException(StorageErrorCode.IN_USE, "disk " + v.id() + " ('" + v.name() + "') is attached read-write on host "
                + holder + ": detach it there first");
    }

    @Override
    public synchronized void detach(String diskId) {
        List<Volume> opened = attached.remove(diskId);
        VolumeTree t = store.tree();
        Volume v = t.find(diskId).orElse(null);
        if (v != null) {
            store.retag(v, List.of(), List.of(Tags.tag(Tags.RW, host), Tags.tag(Tags.RO, host)));
        }
        if (opened != null) {
            for (Volume o : opened) {
                Volume current = t.volume(o.lvName());
                if (current != null) {
                    access.close(store.lvm, store.vg, current);
                }
            }
        }
    }

    @Override
    public synchronized VirtualDiskInfo enableChangedBlockTracking(String diskId) {
        VolumeTree t = store.tree();
        Volume disk = t.get(diskId);
        if (t.kindOf(disk) != Volume.Kind.DISK) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, t.describe(disk) + " is not a disk: tracking is turned on for disks");
        }
        tracking.enable(disk);
        return store.tree().get(diskId).info();
    }

    @Override
    public synchronized VirtualDiskInfo disableChangedBlockTracking(String diskId) {
        VolumeTree t = store.tree();
        tracking.disable(t, t.get(diskId));
        return store.tree().get(diskId).info();
    }

    @Override
    public synchronized ChangedBlocks changedBlocks(String fromSnapshotId, String toSnapshotId) {
        VolumeTree t = store.tree();
        return tracking.changedBlocks(t, t.get(fromSnapshotId), t.get(toSnapshotId));
    }

    @Override
    public synchronized void detach() {
        if (!attached.isEmpty()) {
            throw new StorageException(StorageErrorCode.IN_USE, "repository " + config.name() + " still has disks attached on this host: "
                    + String.join(", ", attached.keySet()) + "; detach them first");
        }
        onDetach.accept(config.uuid());
        LOG.log(System.Logger.Level.INFO, "repository " + config.name() + " detached from this host");
    }

    synchronized boolean hasAttachedDisks() {
        return !attached.isEmpty();
    }
}
