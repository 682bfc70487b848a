package io.atoll.storage.iscsi;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.Names;
import io.atoll.storage.spi.QemuSecret;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.io.Closeable;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An iSCSI repository attached on this host. Every change runs under the repository's lock in
 * the same order: read the catalog, check everything that can be checked, bring the target in
 * line with the catalog (which fails with {@code UNAVAILABLE} while the array is away, before
 * anything changed), change volumes and LUNs, and write the catalog last. A failure undoes the
 * volume and LUN steps, so the catalog never names a half-made disk.
 */
final class IscsiRepository implements StorageRepository {
    private static final System.Logger LOG = System.getLogger(IscsiRepository.class.getName());

    private final IscsiConfig config;
    private final String type;
    private final TargetManager array;
    private final String hostUuid;
    private final Runnable onDetach;

    IscsiRepository(IscsiConfig config, String type, TargetManager array, String hostUuid, Runnable onDetach) {
        this.config = config;
        this.type = type;
        this.array = array;
        this.hostUuid = hostUuid;
        this.onDetach = onDetach;
    }

    @Override
    public SrInfo info() {
        return info(read());
    }

    static SrInfo info(Catalog c, String type) {
        long allocated = c.allocated();
        return new SrInfo(c.srUuid(), c.srName(), type, true, c.capacity(), allocated, allocated);
    }

    private SrInfo info(Catalog c) {
        return info(c, type);
    }

    @Override
    public List<VirtualDiskInfo> scan() {
        return read().sorted().stream().map(Catalog.Disk::info).toList();
    }

    @Override
    public VirtualDiskInfo disk(String diskId) {
        return find(read(), diskId).info();
    }

    @Override
    public VirtualDiskInfo createDisk(DiskCreateRequest request) {
        return change(c -> {
            checkSpace(c, request.virtualSize(), "disk " + request.name());
            Catalog.Disk disk = new Catalog.Disk(UUID.randomUUID().toString(), request.name(), request.virtualSize(),
                    c.freeLun(), null, Instant.now(), request.metadata(), Map.of());
            array.export(exportOf(c));
            array.createVolume(config.srUuid(), disk.id(), disk.size());
            commitNewLun(c, disk);
            log(disk, "created as LUN " + disk.lun() + " (" + disk.size() + " bytes)");
            return disk.info();
        });
    }

    @Override
    public void deleteDisk(String diskId, LiveBlockDevice live) {
        change(c -> {
            Catalog.Disk disk = find(c, diskId);
            if (!disk.attachments().isEmpty()) {
                throw new StorageException(StorageErrorCode.IN_USE, what(disk) + " is attached on host(s) "
                        + String.join(", ", disk.attachments().keySet()) + ": detach it first");
            }
            Catalog after = c.without(diskId);
            array.export(exportOf(after));
            array.writeCatalog(config.srUuid(), after.toProperties());
            // After the catalog: a volume that outlives a failure here is only wasted space.
            try {
                array.deleteVolume(config.srUuid(), diskId);
            } catch (StorageException e) {
                LOG.log(System.Logger.Level.WARNING, what(disk) + ": deleted, but its volume stays: " + e.getMessage());
            }
            log(disk, "deleted (LUN " + disk.lun() + " freed)");
            return null;
        });
    }

    @Override
    public VirtualDiskInfo resize(String diskId, long newSize) {
        return change(c -> {
            Catalog.Disk disk = find(c, diskId);
            Names.checkSize(what(disk), newSize);
            if (disk.isSnapshot()) {
                throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what(disk) + " is a snapshot: snapshots are read-only and keep their size");
            }
            if (newSize < disk.size()) {
                throw new StorageException(StorageErrorCode.SHRINK_NOT_ALLOWED, what(disk) + " is " + disk.size()
                        + " bytes; it cannot shrink to " + newSize + " (data would be lost)");
            }
            if (newSize == disk.size()) {
                return disk.info();
            }
            requireDetached(disk, "resize");
            checkSpace(c, newSize - disk.size(), what(disk) + " grown to " + newSize + " bytes");
            Catalog after = c.with(disk.withSize(newSize));
            // tgt reads a LUN's size when the LUN is made: take it out, grow, put it back.
            array.export(exportOf(c.without(diskId)));
            try {
                array.resizeVolume(config.srUuid(), diskId, newSize);
                array.export(exportOf(after));
                array.writeCatalog(config.srUuid(), after.toProperties());
            } catch (RuntimeException e) {
                undo(e, () -> array.resizeVolume(config.srUuid(), diskId, disk.size()), () -> array.export(exportOf(c)));
                throw e;
            }
            log(disk, "grown from " + disk.size() + " to " + newSize + " bytes");
            return after.disks().get(diskId).info();
        });
    }

    /**
     * A snapshot here is a full copy into a new read-only LUN: tgt has no copy-on-write. It needs
     * the disk not written meanwhile, so a disk attached read-write is refused ({@code live}
     * cannot help: QEMU's overlays would live outside the array).
     */
    @Override
    public VirtualDiskInfo snapshot(String diskId, String name, LiveBlockDevice live) {
        Names.checkName("snapshot", name);
        return copy(diskId, name, true);
    }

    @Override
    public VirtualDiskInfo clone(String sourceId, String name, CloneMode mode) {
        if (mode == CloneMode.LINKED) {
            throw StorageException.notSupported(StorageBehavior.SUPPORTS_LINKED_CLONE);
        }
        Names.checkName("disk", name);
        return copy(sourceId, name, false);
    }

    private VirtualDiskInfo copy(String sourceId, String name, boolean snapshot) {
        return change(c -> {
            Catalog.Disk source = find(c, sourceId);
            if (snapshot && source.isSnapshot()) {
                throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what(source) + " is a snapshot: snapshot its disk instead");
            }
            source.writer().ifPresent(host -> {
                throw new StorageException(StorageErrorCode.IN_USE, what(source) + " is attached read-write on host " + host
                        + ": a copy needs it not written; detach it, or " + (snapshot ? "stop the VM" : "clone a snapshot of it"));
            });
            checkSpace(c, source.size(), (snapshot ? "snapshot " : "disk ") + name);
            Catalog.Disk copy = new Catalog.Disk(UUID.randomUUID().toString(), name, source.size(), c.freeLun(),
                    snapshot ? source.id() : null, Instant.now(), snapshot ? source.metadata() : Map.of(), Map.of());
            array.export(exportOf(c));
            array.copyVolume(config.srUuid(), source.id(), copy.id());
            commitNewLun(c, copy);
            log(copy, (snapshot ? "snapshot of " : "full clone of ") + what(source) + " as LUN " + copy.lun());
            return copy.info();
        });
    }

    /** Brings the disk back to the snapshot's data and size (a disk grown since shrinks back with it). */
    @Override
    public VirtualDiskInfo revert(String diskId, String snapshotId) {
        return change(c -> {
            Catalog.Disk disk = find(c, diskId);
            Catalog.Disk snap = find(c, snapshotId);
            if (!diskId.equals(snap.snapshotOf())) {
                throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what(snap) + " is not a snapshot of " + what(disk));
            }
            requireDetached(disk, "revert");
            Catalog after = c.with(disk.withSize(snap.size()));
            array.export(exportOf(c.without(diskId)));
            try {
                // Atomic on the array: on failure the disk keeps its data.
                array.copyVolume(config.srUuid(), snapshotId, diskId);
                array.export(exportOf(after));
                array.writeCatalog(config.srUuid(), after.toProperties());
            } catch (RuntimeException e) {
                undo(e, () -> array.export(exportOf(c)));
                throw e;
            }
            log(disk, "reverted to " + what(snap));
            return after.disks().get(diskId).info();
        });
    }

    @Override
    public VirtualDiskInfo setMetadata(String diskId, Map<String, String> metadata) {
        Map<String, String> copy = Map.copyOf(metadata);
        return change(c -> {
            Catalog.Disk disk = find(c, diskId).withMetadata(copy);
            array.writeCatalog(config.srUuid(), c.with(disk).toProperties());
            return disk.info();
        });
    }

    @Override
    public DiskAttachment attach(String diskId, AccessMode mode) {
        return attach(diskId, mode, false);
    }

    /** The source host's read-write attachment stays until it detaches after the switch-over. */
    @Override
    public DiskAttachment attachForIncomingMigration(String diskId) {
        return attach(diskId, AccessMode.READ_WRITE, true);
    }

    private DiskAttachment attach(String diskId, AccessMode mode, boolean incomingMigration) {
        return change(c -> {
            Catalog.Disk disk = find(c, diskId);
            if (mode == AccessMode.READ_WRITE) {
                if (disk.isSnapshot()) {
                    throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what(disk) + " is a snapshot: attach it read-only");
                }
                long otherWriters = disk.attachments().entrySet().stream()
                        .filter(e -> e.getValue() == AccessMode.READ_WRITE && !e.getKey().equals(hostUuid)).count();
                if (incomingMigration && otherWriters > 1) {
                    throw new StorageException(StorageErrorCode.IN_USE, what(disk) + " is attached read-write on " + otherWriters
                            + " other hosts: a migration takes it over from one holder only");
                }
                disk.writer().filter(h -> !h.equals(hostUuid) && !incomingMigration).ifPresent(h -> {
                    throw new StorageException(StorageErrorCode.IN_USE, what(disk) + " is attached read-write on host " + h
                            + ": detach it there first");
                });
            }
            IscsiAdapter.checkPortal(config);
            array.export(exportOf(c));
            array.writeCatalog(config.srUuid(), c.with(disk.withAttachment(hostUuid, mode)).toProperties());
            log(disk, "attached " + mode + " on host " + hostUuid);
            return attachment(disk, mode);
        });
    }

    @Override
    public void detach(String diskId) {
        change(c -> {
            Catalog.Disk disk = c.disks().get(diskId);
            if (disk != null && disk.attachments().containsKey(hostUuid)) {
                array.writeCatalog(config.srUuid(), c.with(disk.withAttachment(hostUuid, null)).toProperties());
                log(disk, "detached from host " + hostUuid);
            }
            return null;
        });
    }

    /** Removes the host's entries from every disk of the catalog, under the repository's lock. */
    @Override
    public List<String> releaseHost(String host) {
        if (host == null || host.isBlank() || host.contains("=") || host.contains(".")) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "'" + host + "' is not a host uuid");
        }
        if (host.equals(hostUuid)) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "host " + host + " is this host: a host never breaks its own "
                    + "locks; detach its disks (stop its VMs) instead");
        }
        return change(c -> {
            Catalog next = c;
            List<String> released = new java.util.ArrayList<>();
            for (Catalog.Disk d : c.sorted()) {
                if (d.attachments().containsKey(host)) {
                    next = next.with(d.withAttachment(host, null));
                    released.add(d.id());
                }
            }
            if (!released.isEmpty()) {
                array.writeCatalog(config.srUuid(), next.toProperties());
                released.forEach(id -> log(c.disks().get(id), "attachment of fenced host " + host + " released"));
            }
            return released;
        });
    }

    @Override
    public void detach() {
        List<String> held = read().sorted().stream().filter(d -> d.attachments().containsKey(hostUuid)).map(IscsiRepository::what).toList();
        if (!held.isEmpty()) {
            throw new StorageException(StorageErrorCode.IN_USE, "storage repository " + config.srName()
                    + " still has attached on this host: " + String.join(", ", held));
        }
        onDetach.run();
    }

    private DiskAttachment attachment(Catalog.Disk disk, AccessMode mode) {
        Map<String, Object> protocol = new LinkedHashMap<>();
        protocol.put("driver", "iscsi");
        protocol.put("transport", "tcp");
        protocol.put("portal", config.portal());
        protocol.put("target", config.target());
        protocol.put("lun", disk.lun());
        List<QemuSecret> secrets = List.of();
        if (config.chap().isPresent()) {
            // One secret per disk, so a VM with disks of several repositories gets no id clash; the
            // host runtime takes ids of [a-z][a-z0-9-]{0,24}: 80 bits of the disk's uuid fit.
            String secretId = "chap-" + disk.id().replace("-", "").substring(0, 20);
            protocol.put("user", config.chap().get().user());
            protocol.put("password-secret", secretId);
            secrets = List.of(new QemuSecret(secretId, config.chap().get().password()));
        }
        return new DiskAttachment(protocol, "raw", Map.of(), mode == AccessMode.READ_ONLY, secrets);
    }

    /** Adds a new disk's LUN and then the catalog entry; undoes the LUN and volume when either fails. */
    private void commitNewLun(Catalog c, Catalog.Disk disk) {
        Catalog after = c.with(disk);
        try {
            array.export(exportOf(after));
            array.writeCatalog(config.srUuid(), after.toProperties());
        } catch (RuntimeException e) {
            undo(e, () -> array.export(exportOf(c)), () -> array.deleteVolume(config.srUuid(), disk.id()));
            throw e;
        }
    }

    TargetManager.TargetExport exportOf(Catalog c) {
        return new TargetManager.TargetExport(c.srUuid(), c.target(), config.chap(),
                c.sorted().stream().map(d -> new TargetManager.Lun(d.lun(), d.id(), d.isSnapshot())).toList());
    }

    private void checkSpace(Catalog c, long bytes, String what) {
        long free = c.capacity() - c.allocated();
        if (bytes > free) {
            throw new StorageException(StorageErrorCode.NO_SPACE, "storage repository " + c.srName() + ": " + what
                    + " needs " + bytes + " bytes but only " + Math.max(0, free) + " of " + c.capacity() + " are free");
        }
    }

    private static void requireDetached(Catalog.Disk disk, String operation) {
        if (!disk.attachments().isEmpty()) {
            throw new StorageException(StorageErrorCode.IN_USE, "cannot " + operation + " " + what(disk) + ": it is attached on host(s) "
                    + disk.attachments().keySet().stream().sorted().collect(Collectors.joining(", ")) + "; detach it first");
        }
    }

    private Catalog read() {
        return array.readCatalog(config.srUuid()).map(Catalog::fromProperties)
                .orElseThrow(() -> new StorageException(StorageErrorCode.NOT_FOUND, "storage repository " + config.srName()
                        + " (" + config.srUuid() + ") is no longer in " + config.backingDir()));
    }

    private <T> T change(Function<Catalog, T> operation) {
        try (Closeable lock = array.lock(config.srUuid())) {
            return operation.apply(read());
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, "storage repository " + config.srName() + ": cannot release its lock: " + e, e);
        }
    }

    private Catalog.Disk find(Catalog c, String diskId) {
        Catalog.Disk d = diskId == null ? null : c.disks().get(diskId);
        if (d == null) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, "storage repository " + config.srName() + " has no disk " + diskId);
        }
        return d;
    }

    private static String what(Catalog.Disk d) {
        return (d.isSnapshot() ? "snapshot " : "disk ") + d.id() + " (" + d.name() + ")";
    }

    private void log(Catalog.Disk d, String message) {
        LOG.log(System.Logger.Level.INFO, "sr " + config.srUuid() + ": " + what(d) + " " + message);
    }

    /** Runs clean-up steps after a failure, keeping the failure as the error and their own failures as suppressed. */
    private static void undo(RuntimeException failure, Runnable... steps) {
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
