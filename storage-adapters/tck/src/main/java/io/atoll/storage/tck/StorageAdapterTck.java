package io.atoll.storage.tck;

import static io.atoll.storage.spi.StorageBehavior.SHARED;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_CBT;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_FULL_CLONE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_LARGE_DISKS;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_LINKED_CLONE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_METADATA;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_PROBE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_RESIZE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_REVERT;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_SNAPSHOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.ChangedBlocks;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.StorageSdk;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The storage TCK: every adapter's test class extends it and says how to make a fresh repository
 * location. Each test checks a behavior when the adapter declares it, and otherwise that the
 * adapter refuses with exactly the NOT_SUPPORTED error of that behavior. One test boots the Linux
 * test guest from a disk of the adapter and follows its data through snapshot, clone, resize and
 * revert.
 *
 * <p>Data checks write and read patterns through {@code qemu-io}, opening disks exactly as QEMU
 * would from the adapter's attachment.
 */
public abstract class StorageAdapterTck {
    protected static final long MiB = 1L << 20;
    protected static final long GiB = 1L << 30;
    protected static final long TiB = 1L << 40;

    protected TckHosts hosts;
    protected StorageAdapter adapter;
    protected StorageAdapter adapterOnHostB;
    protected SrConfig config;
    protected StorageRepository repo;
    private final List<String> attached = new ArrayList<>();

    // ------------------------------------------------------------------ what the adapter's test provides

    /** The adapter's factory, as its plugin would provide it. */
    protected abstract StorageAdapterFactory factory();

    /**
     * A device-config for a new repository at a fresh, empty location (a new directory, export
     * sub-directory, target, device…); called once per test.
     */
    protected abstract Map<String, String> newLocation(String srUuid);

    /** The behaviors the adapter must declare (guards against an accidental change of them). */
    protected abstract Set<StorageBehavior> expectedBehaviors();

    /** Stops and starts the storage server, where the test can: for the "server goes away" check. */
    protected Optional<ServerControl> serverControl() {
        return Optional.empty();
    }

    /** Switches the storage server off and on again. */
    public interface ServerControl {
        void stop() throws Exception;

        void start() throws Exception;
    }

    // ------------------------------------------------------------------ fixtures

    @BeforeEach
    void attachFreshRepository() throws Exception {
        hosts = new TckHosts();
        StorageAdapterFactory f = factory();
        adapter = f.create(hosts.hostA);
        adapterOnHostB = f.create(hosts.hostB);
        String uuid = UUID.randomUUID().toString();
        config = new SrConfig(uuid, "tck-" + uuid.substring(0, 8), f.name(), newLocation(uuid));
        SrInfo created = adapter.create(config);
        assertThat(created.uuid()).isEqualTo(uuid);
        repo = adapter.attach(config);
    }

    @AfterEach
    void destroyRepository() throws Exception {
        try {
            if (repo != null) {
                for (String id : attached) {
                    repo.detach(id);
                }
                repo.detach();
                adapter.destroy(config);
            }
        } finally {
            hosts.close();
        }
    }

    protected boolean has(StorageBehavior b) {
        return adapter.behaviors().contains(b);
    }

    protected DiskAttachment attach(String diskId, AccessMode mode) {
        DiskAttachment a = repo.attach(diskId, mode);
        attached.add(diskId);
        return a;
    }

    protected void detach(String diskId) {
        repo.detach(diskId);
        attached.remove(diskId);
    }

    /** Writes a pattern through a short read-write attachment. */
    protected void write(String diskId, int pattern, long offset, long length) {
        DiskAttachment a = attach(diskId, AccessMode.READ_WRITE);
        try {
            QemuIo.write(a, hosts.scratch(), pattern, offset, length);
        } finally {
            detach(diskId);
        }
    }

    /** Checks a pattern through a short read-only attachment. */
    protected void verify(String diskId, int pattern, long offset, long length) {
        DiskAttachment a = attach(diskId, AccessMode.READ_ONLY);
        try {
            QemuIo.verify(a, hosts.scratch(), pattern, offset, length);
        } finally {
            detach(diskId);
        }
    }

    protected static void assertError(ThrowingCallable call, StorageErrorCode code, String... parts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).as("error code of: %s", e.getMessage()).isEqualTo(code);
            if (parts.length > 0) {
                assertThat(e.getMessage()).contains(parts);
            }
        });
    }

    protected static void assertNotSupported(ThrowingCallable call, StorageBehavior behavior) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(StorageErrorCode.NOT_SUPPORTED);
            assertThat(e.getMessage()).isEqualTo(behavior.notSupportedMessage());
        });
    }

    // ------------------------------------------------------------------ the adapter as a whole

    @Test
    void declaresItsBehaviorsWithWhatTheyImply() {
        assertThat(factory().sdkVersion()).isEqualTo(StorageSdk.VERSION);
        assertThat(factory().name()).matches("[a-z0-9-]+");
        assertThat(adapter.behaviors()).isEqualTo(expectedBehaviors());
        assertThat(StorageBehavior.closure(adapter.behaviors())).as("declared behaviors include what they imply")
                .isEqualTo(adapter.behaviors());
    }

    @Test
    void aRepositoryIsCreatedAttachedScannedDetachedAndDestroyed() {
        SrInfo info = repo.info();
        assertThat(info.uuid()).isEqualTo(config.uuid());
        assertThat(info.type()).isEqualTo(factory().name());
        assertThat(info.shared()).isEqualTo(has(SHARED));
        assertThat(info.physicalSize()).isPositive();
        assertThat(repo.scan()).isEmpty();
        assertError(() -> adapter.create(config), StorageErrorCode.ALREADY_EXISTS);

        // Attaching again is idempotent; detaching and re-attaching finds the same disks.
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("survivor", 16 * MiB));
        assertThat(adapter.attach(config).scan()).extracting(VirtualDiskInfo::id).containsExactly(disk.id());
        repo.detach();
        repo = adapter.attach(config);
        assertThat(repo.scan()).extracting(VirtualDiskInfo::name).containsExactly("survivor");
        repo.deleteDisk(disk.id());
    }

    @Test
    void probeFindsTheRepositoryOrIsNotSupported() {
        if (has(SUPPORTS_PROBE)) {
            assertThat(adapter.probe(config)).extracting(SrInfo::uuid).contains(config.uuid());
        } else {
            assertNotSupported(() -> adapter.probe(config), SUPPORTS_PROBE);
        }
    }

    @Test
    void aSecondHostSeesTheSameDisksWhenShared() {
        if (!has(SHARED)) {
            return; // local storage: another host has its own
        }
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("seen-by-b", 16 * MiB));
        StorageRepository onB = adapterOnHostB.attach(config);
        assertThat(onB.scan()).extracting(VirtualDiskInfo::id).containsExactly(disk.id());
        onB.detach();
    }

    // ------------------------------------------------------------------ disks

    @Test
    void disksAreCreatedListedAndDeleted() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("data disk 1", 64 * MiB));
        assertThat(disk.name()).isEqualTo("data disk 1");
        assertThat(disk.virtualSize()).isEqualTo(64 * MiB);
        assertThat(disk.isSnapshot()).isFalse();
        assertThat(disk.readOnly()).isFalse();
        assertThat(repo.disk(disk.id())).isEqualTo(disk);
        assertThat(repo.scan()).containsExactly(disk);
        verify(disk.id(), 0, 0, MiB); // a new disk reads as zeroes
        assertThat(repo.info().virtualAllocation()).isGreaterThanOrEqualTo(64 * MiB);

        repo.deleteDisk(disk.id());
        assertThat(repo.scan()).isEmpty();
        assertError(() -> repo.disk(disk.id()), StorageErrorCode.NOT_FOUND);
        assertError(() -> repo.deleteDisk(disk.id()), StorageErrorCode.NOT_FOUND);
    }

    @Test
    void badNamesAndSizesAreRefusedAndChangeNothing() {
        assertError(() -> new DiskCreateRequest("a/b", MiB), StorageErrorCode.INVALID_ARGUMENT, "'a/b'", "without '/' or '..'");
        assertError(() -> new DiskCreateRequest("..", MiB), StorageErrorCode.INVALID_ARGUMENT);
        assertError(() -> new DiskCreateRequest("x", 0), StorageErrorCode.INVALID_ARGUMENT, "size is 0 bytes");
        assertError(() -> new DiskCreateRequest("x", -512), StorageErrorCode.INVALID_ARGUMENT);
        // Far beyond what any storage holds: refused, whether thin or thick.
        assertThatThrownBy(() -> repo.createDisk(new DiskCreateRequest("huge", 1L << 62)))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code())
                        .isIn(StorageErrorCode.NO_SPACE, StorageErrorCode.INVALID_ARGUMENT, StorageErrorCode.NOT_SUPPORTED));
        if (!has(StorageBehavior.THIN_PROVISIONING)) {
            long tooBig = (repo.info().free() / MiB + 1024) * MiB;
            if (tooBig <= 2 * TiB || has(SUPPORTS_LARGE_DISKS)) {
                assertError(() -> repo.createDisk(new DiskCreateRequest("too big", tooBig)), StorageErrorCode.NO_SPACE);
            }
        }
        assertThat(repo.scan()).isEmpty();
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("ok", 16 * MiB));
        if (has(SUPPORTS_SNAPSHOT)) {
            assertError(() -> repo.snapshot(disk.id(), "../escape"), StorageErrorCode.INVALID_ARGUMENT);
        }
        if (has(SUPPORTS_FULL_CLONE)) {
            assertError(() -> repo.clone(disk.id(), "a/b", CloneMode.FULL), StorageErrorCode.INVALID_ARGUMENT);
        }
        assertThat(repo.scan()).containsExactly(disk);
        repo.deleteDisk(disk.id());
    }

    @Test
    void disksLargerThan2TiBWhereDeclared() {
        DiskCreateRequest big = new DiskCreateRequest("big", 3 * TiB);
        if (has(SUPPORTS_LARGE_DISKS)) {
            VirtualDiskInfo disk = repo.createDisk(big);
            assertThat(disk.virtualSize()).isEqualTo(3 * TiB);
            write(disk.id(), 0x5a, 3 * TiB - MiB, MiB); // the last MiB, past 2 TiB
            verify(disk.id(), 0x5a, 3 * TiB - MiB, MiB);
            repo.deleteDisk(disk.id());
        } else {
            assertNotSupported(() -> repo.createDisk(big), SUPPORTS_LARGE_DISKS);
        }
    }

    @Test
    void resizeGrowsAndNeverShrinks() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("growing", 32 * MiB));
        if (!has(SUPPORTS_RESIZE)) {
            assertNotSupported(() -> repo.resize(disk.id(), 64 * MiB), SUPPORTS_RESIZE);
            return;
        }
        write(disk.id(), 0x11, 0, MiB);
        assertThat(repo.resize(disk.id(), 64 * MiB).virtualSize()).isEqualTo(64 * MiB);
        assertThat(repo.disk(disk.id()).virtualSize()).isEqualTo(64 * MiB);
        verify(disk.id(), 0x11, 0, MiB);
        verify(disk.id(), 0, 48 * MiB, MiB);
        write(disk.id(), 0x22, 63 * MiB, MiB);
        assertError(() -> repo.resize(disk.id(), 16 * MiB), StorageErrorCode.SHRINK_NOT_ALLOWED);
        assertThat(repo.disk(disk.id()).virtualSize()).isEqualTo(64 * MiB);
        verify(disk.id(), 0x22, 63 * MiB, MiB);
        repo.deleteDisk(disk.id());
    }

    @Test
    void metadataIsKeptWhereDeclared() {
        if (!has(SUPPORTS_METADATA)) {
            VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("plain", 16 * MiB));
            assertNotSupported(() -> repo.setMetadata(disk.id(), Map.of("k", "v")), SUPPORTS_METADATA);
            assertNotSupported(() -> repo.createDisk(new DiskCreateRequest("with-meta", 16 * MiB, Map.of("k", "v"))), SUPPORTS_METADATA);
            return;
        }
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("tagged", 16 * MiB, Map.of("owner", "web-1")));
        assertThat(disk.metadata()).containsEntry("owner", "web-1");
        repo.setMetadata(disk.id(), Map.of("owner", "db-2", "tier", "gold"));
        repo.detach();
        repo = adapter.attach(config);
        assertThat(repo.disk(disk.id()).metadata()).isEqualTo(Map.of("owner", "db-2", "tier", "gold"));
        repo.deleteDisk(disk.id());
    }

    // ------------------------------------------------------------------ attachment

    @Test
    void anAttachedDiskIsInUseAndReadWriteOnOneHostOnly() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("exclusive", 16 * MiB));
        DiskAttachment rw = attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(rw.readOnly()).isFalse();
        QemuIo.write(rw, hosts.scratch(), 0x33, 0, MiB);
        assertError(() -> repo.deleteDisk(disk.id()), StorageErrorCode.IN_USE);
        assertError(() -> repo.detach(), StorageErrorCode.IN_USE);
        if (has(SHARED)) {
            StorageRepository onB = adapterOnHostB.attach(config);
            assertError(() -> onB.attach(disk.id(), AccessMode.READ_WRITE), StorageErrorCode.IN_USE, hosts.hostA.hostUuid());
            onB.detach();
        }
        detach(disk.id());
        repo.detach(disk.id()); // idempotent
        if (has(SHARED)) {
            StorageRepository onB = adapterOnHostB.attach(config);
            DiskAttachment onHostB = onB.attach(disk.id(), AccessMode.READ_WRITE);
            QemuIo.verify(onHostB, hosts.scratch(), 0x33, 0, MiB);
            onB.detach(disk.id());
            onB.detach();
        }
        repo.deleteDisk(disk.id());
    }

    @Test
    void aMigratingVmsTargetTakesTheDiskOverFromItsSource() {
        if (!has(SHARED)) {
            return; // one host only: nothing to take over
        }
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("migrating", 16 * MiB));
        DiskAttachment onSource = attach(disk.id(), AccessMode.READ_WRITE);
        QemuIo.write(onSource, hosts.scratch(), 0x44, 0, MiB);
        StorageRepository onB = adapterOnHostB.attach(config);
        try {
            // The one moment two hosts hold a disk read-write: the target of a live migration.
            DiskAttachment onTarget = onB.attachForIncomingMigration(disk.id());
            assertThat(onTarget.readOnly()).isFalse();
            // The source leaves after the switch-over; the target is then the disk's one writer.
            detach(disk.id());
            QemuIo.verify(onTarget, hosts.scratch(), 0x44, 0, MiB);
            assertError(() -> repo.attach(disk.id(), AccessMode.READ_WRITE), StorageErrorCode.IN_USE, hosts.hostB.hostUuid());
            // Back the other way, as a second migration would.
            DiskAttachment back = repo.attachForIncomingMigration(disk.id());
            assertThat(back.readOnly()).isFalse();
            onB.detach(disk.id());
            detach(disk.id());
            if (has(SUPPORTS_SNAPSHOT)) {
                // A snapshot is never taken over read-write.
                VirtualDiskInfo snap = repo.snapshot(disk.id(), "frozen");
                assertError(() -> onB.attachForIncomingMigration(snap.id()), StorageErrorCode.INVALID_ARGUMENT);
                repo.deleteDisk(snap.id());
            }
        } finally {
            onB.detach(disk.id());
            onB.detach();
        }
        repo.deleteDisk(disk.id());
    }

    // ------------------------------------------------------------------ HA: heartbeat area and lock break

    @Test
    void heartbeatsWrittenByTwoHostsAreReadBackWhole() throws Exception {
        if (!has(StorageBehavior.SUPPORTS_HEARTBEAT)) {
            assertNotSupported(() -> repo.heartbeatArea(), StorageBehavior.SUPPORTS_HEARTBEAT);
            return;
        }
        String a = hosts.hostA.hostUuid();
        String b = hosts.hostB.hostUuid();
        io.atoll.storage.spi.HeartbeatArea onA = repo.heartbeatArea();
        StorageRepository onB = has(SHARED) ? adapterOnHostB.attach(config) : repo;
        try {
            io.atoll.storage.spi.HeartbeatArea areaB = onB.heartbeatArea();
            onA.write(a, bytes("{\"host\":\"" + a + "\",\"counter\":1}"));
            areaB.write(b, bytes("{\"host\":\"" + b + "\",\"counter\":1}"));
            for (int i = 2; i <= 5; i++) {
                onA.write(a, bytes("{\"host\":\"" + a + "\",\"counter\":" + i + "}"));
            }
            for (io.atoll.storage.spi.HeartbeatArea reader : List.of(onA, areaB)) {
                Map<String, byte[]> all = reader.readAll();
                assertThat(all.keySet()).containsExactlyInAnyOrder(a, b);
                assertThat(new String(all.get(a), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"host\":\"" + a + "\",\"counter\":5}");
                assertThat(new String(all.get(b), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"host\":\"" + b + "\",\"counter\":1}");
            }
            // The area is no disk: scans do not see it.
            assertThat(repo.scan()).isEmpty();
            assertError(() -> onA.write("../escape", bytes("x")), StorageErrorCode.INVALID_ARGUMENT);
            // A reader racing a writer sees a whole record, old or new, every time.
            Thread writer = new Thread(() -> {
                for (int i = 6; i < 40; i++) {
                    onA.write(a, bytes("{\"host\":\"" + a + "\",\"counter\":" + i + "}"));
                }
            });
            writer.start();
            try {
                while (writer.isAlive()) {
                    byte[] raw = areaB.readAll().get(a);
                    assertThat(raw).as("host A's heartbeat while it is rewritten").isNotNull();
                    assertThat(new String(raw, java.nio.charset.StandardCharsets.UTF_8))
                            .matches("\\{\"host\":\"" + a + "\",\"counter\":\\d+}");
                }
            } finally {
                writer.join(30_000);
            }
        } finally {
            if (onB != repo) {
                onB.detach();
            }
        }
    }

    @Test
    void aFencedHostsDisksAreReleasedForAnotherHost() {
        if (!has(StorageBehavior.SUPPORTS_RELEASE_HOST)) {
            assertNotSupported(() -> repo.releaseHost(hosts.hostB.hostUuid()), StorageBehavior.SUPPORTS_RELEASE_HOST);
            return;
        }
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("ha-protected", 16 * MiB));
        assertError(() -> repo.releaseHost(hosts.hostA.hostUuid()), StorageErrorCode.INVALID_ARGUMENT, "this host");
        DiskAttachment onA = repo.attach(disk.id(), AccessMode.READ_WRITE); // host A dies holding it: never detached
        QemuIo.write(onA, hosts.scratch(), 0x5a, 0, MiB);
        if (!has(SHARED)) {
            assertThat(repo.releaseHost(hosts.hostB.hostUuid())).isEmpty();
            repo.detach(disk.id());
            repo.deleteDisk(disk.id());
            return;
        }
        StorageRepository onB = adapterOnHostB.attach(config);
        try {
            assertError(() -> onB.attach(disk.id(), AccessMode.READ_WRITE), StorageErrorCode.IN_USE, hosts.hostA.hostUuid());
            assertThat(onB.releaseHost(hosts.hostA.hostUuid())).containsExactly(disk.id());
            assertThat(onB.releaseHost(hosts.hostA.hostUuid())).isEmpty(); // idempotent
            DiskAttachment taken = onB.attach(disk.id(), AccessMode.READ_WRITE);
            assertThat(taken.readOnly()).isFalse();
            QemuIo.verify(taken, hosts.scratch(), 0x5a, 0, MiB);
            assertError(() -> repo.attach(disk.id(), AccessMode.READ_WRITE), StorageErrorCode.IN_USE, hosts.hostB.hostUuid());
            onB.detach(disk.id());
        } finally {
            onB.detach(disk.id());
            onB.detach();
        }
        repo.detach(disk.id()); // the fenced host's late detach is harmless
        repo.deleteDisk(disk.id());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ snapshots, clones, revert

    @Test
    void snapshotsKeepThePastAndClonesStartFromIt() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("source", 32 * MiB));
        write(disk.id(), 0xa1, 0, 2 * MiB);
        if (!has(SUPPORTS_SNAPSHOT)) {
            assertNotSupported(() -> repo.snapshot(disk.id(), "s1"), SUPPORTS_SNAPSHOT);
            assertNotSupported(() -> repo.revert(disk.id(), disk.id()), SUPPORTS_REVERT);
            if (!has(SUPPORTS_FULL_CLONE)) {
                assertNotSupported(() -> repo.clone(disk.id(), "c", CloneMode.FULL), SUPPORTS_FULL_CLONE);
            }
            assertNotSupported(() -> repo.clone(disk.id(), "c", CloneMode.LINKED), SUPPORTS_LINKED_CLONE);
            return;
        }
        VirtualDiskInfo s1 = repo.snapshot(disk.id(), "before upgrade");
        assertThat(s1.snapshotOf()).isEqualTo(disk.id());
        assertThat(s1.readOnly()).isTrue();
        assertThat(s1.virtualSize()).isEqualTo(32 * MiB);
        assertThat(repo.disk(disk.id()).isSnapshot()).isFalse();
        write(disk.id(), 0xb2, 0, MiB);
        verify(disk.id(), 0xb2, 0, MiB);
        verify(disk.id(), 0xa1, MiB, MiB);
        verify(s1.id(), 0xa1, 0, 2 * MiB);
        assertError(() -> repo.attach(s1.id(), AccessMode.READ_WRITE), StorageErrorCode.INVALID_ARGUMENT);

        if (has(SUPPORTS_LINKED_CLONE)) {
            VirtualDiskInfo linked = repo.clone(s1.id(), "linked", CloneMode.LINKED);
            assertThat(linked.isSnapshot()).isFalse();
            verify(linked.id(), 0xa1, 0, 2 * MiB);
            write(linked.id(), 0xc3, 0, MiB);
            verify(s1.id(), 0xa1, 0, 2 * MiB);
            verify(disk.id(), 0xb2, 0, MiB);
            repo.deleteDisk(linked.id());
        } else {
            assertNotSupported(() -> repo.clone(s1.id(), "linked", CloneMode.LINKED), SUPPORTS_LINKED_CLONE);
        }
        if (has(SUPPORTS_FULL_CLONE)) {
            VirtualDiskInfo full = repo.clone(s1.id(), "full", CloneMode.FULL);
            verify(full.id(), 0xa1, 0, 2 * MiB);
            write(full.id(), 0xd4, MiB, MiB);
            verify(s1.id(), 0xa1, MiB, MiB);
            repo.deleteDisk(full.id());
            verify(s1.id(), 0xa1, 0, 2 * MiB);
        } else {
            assertNotSupported(() -> repo.clone(s1.id(), "full", CloneMode.FULL), SUPPORTS_FULL_CLONE);
        }
        if (has(SUPPORTS_REVERT)) {
            VirtualDiskInfo reverted = repo.revert(disk.id(), s1.id());
            assertThat(reverted.id()).isEqualTo(disk.id());
            verify(disk.id(), 0xa1, 0, 2 * MiB);
            verify(s1.id(), 0xa1, 0, 2 * MiB);
        } else {
            assertNotSupported(() -> repo.revert(disk.id(), s1.id()), SUPPORTS_REVERT);
        }
        repo.deleteDisk(s1.id());
        repo.deleteDisk(disk.id());
        assertThat(repo.scan()).isEmpty();
    }

    /**
     * A chain of three snapshots, each deleted in turn — middle, oldest, newest — and after each
     * deletion the disk and the remaining snapshots read exactly as before.
     */
    @Test
    void deletingASnapshotAnywhereInTheChainKeepsEveryonesData() {
        if (!has(SUPPORTS_SNAPSHOT)) {
            return; // covered by snapshotsKeepThePastAndClonesStartFromIt
        }
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("chain", 16 * MiB));
        write(disk.id(), 0x01, 0, MiB);
        VirtualDiskInfo s1 = repo.snapshot(disk.id(), "s1");
        write(disk.id(), 0x02, MiB, MiB);
        write(disk.id(), 0x12, 0, 512 * 1024); // overwrites part of what s1 holds
        VirtualDiskInfo s2 = repo.snapshot(disk.id(), "s2");
        write(disk.id(), 0x03, 2 * MiB, MiB);
        VirtualDiskInfo s3 = repo.snapshot(disk.id(), "s3");
        write(disk.id(), 0x04, 3 * MiB, MiB);

        Runnable diskReads = () -> {
            verify(disk.id(), 0x12, 0, 512 * 1024);
            verify(disk.id(), 0x01, 512 * 1024, 512 * 1024);
            verify(disk.id(), 0x02, MiB, MiB);
            verify(disk.id(), 0x03, 2 * MiB, MiB);
            verify(disk.id(), 0x04, 3 * MiB, MiB);
        };
        Runnable s1Reads = () -> {
            verify(s1.id(), 0x01, 0, MiB);
            verify(s1.id(), 0, MiB, 3 * MiB);
        };
        Runnable s3Reads = () -> {
            verify(s3.id(), 0x12, 0, 512 * 1024);
            verify(s3.id(), 0x02, MiB, MiB);
            verify(s3.id(), 0x03, 2 * MiB, MiB);
            verify(s3.id(), 0, 3 * MiB, MiB);
        };
        repo.deleteDisk(s2.id()); // the middle
        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactlyInAnyOrder(disk.id(), s1.id(), s3.id());
        diskReads.run();
        s1Reads.run();
        s3Reads.run();
        repo.deleteDisk(s1.id()); // the oldest
        diskReads.run();
        s3Reads.run();
        repo.deleteDisk(s3.id()); // the newest
        diskReads.run();
        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactly(disk.id());
        repo.deleteDisk(disk.id());
    }

    /** Deleting a disk keeps the snapshots taken of it, and its clones. */
    @Test
    void deletingADiskKeepsItsSnapshotsAndClones() {
        if (!has(SUPPORTS_SNAPSHOT)) {
            return;
        }
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("parent", 16 * MiB));
        write(disk.id(), 0x61, 0, MiB);
        VirtualDiskInfo snap = repo.snapshot(disk.id(), "keep");
        VirtualDiskInfo clone = has(SUPPORTS_LINKED_CLONE) ? repo.clone(snap.id(), "child", CloneMode.LINKED) : null;
        repo.deleteDisk(disk.id());
        verify(snap.id(), 0x61, 0, MiB);
        if (clone != null) {
            verify(clone.id(), 0x61, 0, MiB);
            repo.deleteDisk(snap.id()); // the clone still depends on its data
            verify(clone.id(), 0x61, 0, MiB);
            repo.deleteDisk(clone.id());
        } else {
            repo.deleteDisk(snap.id());
        }
        assertThat(repo.scan()).isEmpty();
    }

    // ------------------------------------------------------------------ changed-block tracking

    @Test
    void changedBlocksBetweenSnapshotsAreExact() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("tracked", 32 * MiB));
        if (!has(SUPPORTS_CBT)) {
            assertNotSupported(() -> repo.enableChangedBlockTracking(disk.id()), SUPPORTS_CBT);
            assertNotSupported(() -> repo.changedBlocks(disk.id(), disk.id()), SUPPORTS_CBT);
            return;
        }
        write(disk.id(), 0x01, 0, 4 * MiB);
        assertThat(repo.enableChangedBlockTracking(disk.id()).cbtEnabled()).isTrue();
        VirtualDiskInfo s1 = repo.snapshot(disk.id(), "base");
        write(disk.id(), 0x02, MiB, 64 * 1024);
        write(disk.id(), 0x03, 20 * MiB, 3 * 64 * 1024);
        VirtualDiskInfo s2 = repo.snapshot(disk.id(), "incr");
        ChangedBlocks changed = repo.changedBlocks(s1.id(), s2.id());
        long bs = changed.blockSize();
        assertThat(bs).isPositive().isLessThanOrEqualTo(MiB);
        assertThat(changed.virtualSize()).isEqualTo(32 * MiB);
        assertThat(changed.extents()).containsExactly(aligned(MiB, 64 * 1024, bs), aligned(20 * MiB, 3 * 64 * 1024, bs));

        // Nothing changed: an empty list. Tracking off: the history is gone, the caller must copy in full.
        VirtualDiskInfo s3 = repo.snapshot(disk.id(), "same");
        assertThat(repo.changedBlocks(s2.id(), s3.id()).extents()).isEmpty();
        assertThat(repo.disableChangedBlockTracking(disk.id()).cbtEnabled()).isFalse();
        write(disk.id(), 0x04, 0, MiB);
        VirtualDiskInfo s4 = repo.snapshot(disk.id(), "untracked");
        assertError(() -> repo.changedBlocks(s3.id(), s4.id()), StorageErrorCode.NOT_FOUND);
        for (VirtualDiskInfo s : List.of(s4, s3, s2, s1, disk)) {
            repo.deleteDisk(s.id());
        }
    }

    private static ChangedBlocks.Extent aligned(long offset, long length, long blockSize) {
        long start = offset / blockSize * blockSize;
        long end = (offset + length + blockSize - 1) / blockSize * blockSize;
        return new ChangedBlocks.Extent(start, end - start);
    }

    // ------------------------------------------------------------------ a guest on the adapter's disks

    /**
     * The Linux test guest boots from a kernel and uses a disk of the adapter: what it writes
     * survives a snapshot, shows in clones of the snapshot, survives a resize, and a revert brings
     * back the snapshot's state.
     */
    @Test
    void aGuestsDataSurvivesSnapshotCloneResizeAndRevert() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("guest disk", 128 * MiB));
        runGuest(disk.id(), g -> g.write("first", 4));
        VirtualDiskInfo s1 = null;
        if (has(SUPPORTS_SNAPSHOT)) {
            s1 = repo.snapshot(disk.id(), "after first");
            runGuest(disk.id(), g -> {
                g.verify("first");
                g.write("second", 4);
            });
            for (CloneMode mode : CloneMode.values()) {
                if (has(mode == CloneMode.LINKED ? SUPPORTS_LINKED_CLONE : SUPPORTS_FULL_CLONE)) {
                    VirtualDiskInfo clone = repo.clone(s1.id(), "clone " + mode.name().toLowerCase(), mode);
                    runGuest(clone.id(), g -> {
                        g.verify("first");
                        g.write("in-clone", 1);
                    });
                    repo.deleteDisk(clone.id());
                }
            }
        }
        boolean second = s1 != null;
        if (has(SUPPORTS_RESIZE)) {
            repo.resize(disk.id(), 192 * MiB);
            runGuest(disk.id(), g -> {
                g.verify("first");
                if (second) {
                    g.verify("second");
                }
            });
        }
        if (has(SUPPORTS_REVERT)) {
            repo.revert(disk.id(), s1.id());
            runGuest(disk.id(), g -> {
                g.verify("first");
                g.write("after-revert", 1);
            });
        }
        if (s1 != null) {
            repo.deleteDisk(s1.id());
        }
        repo.deleteDisk(disk.id());
    }

    /** The Linux test guest on a disk: boots, does its work, powers off through ACPI. */
    protected void runGuest(String diskId, java.util.function.Consumer<TckGuest> work) {
        DiskAttachment a = attach(diskId, AccessMode.READ_WRITE);
        try (TckGuest guest = TckGuest.boot(hosts, a)) {
            work.accept(guest);
        } finally {
            detach(diskId);
        }
    }

    // ------------------------------------------------------------------ faults

    @Test
    void theStorageServerGoingAwayGivesUnavailableAndLosesNothing() throws Exception {
        Optional<ServerControl> server = serverControl();
        if (server.isEmpty()) {
            return; // local storage: no server to lose
        }
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("before outage", 16 * MiB));
        server.get().stop();
        try {
            assertError(() -> repo.createDisk(new DiskCreateRequest("during outage", 16 * MiB)), StorageErrorCode.UNAVAILABLE);
        } finally {
            server.get().start();
        }
        assertThat(repo.scan()).extracting(VirtualDiskInfo::name).containsExactly("before outage");
        VirtualDiskInfo after = repo.createDisk(new DiskCreateRequest("after outage", 16 * MiB));
        repo.deleteDisk(after.id());
        repo.deleteDisk(disk.id());
    }
}
