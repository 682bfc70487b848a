package io.atoll.storage.iscsi;

import static io.atoll.storage.iscsi.IscsiTestRig.GIB;
import static io.atoll.storage.iscsi.IscsiTestRig.MIB;
import static io.atoll.storage.iscsi.IscsiTestRig.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The iSCSI adapter against a real tgtd on loopback, with QEMU's iSCSI driver reading and writing
 * the LUNs: repository lifecycle, disks, clones, snapshots, exclusivity. Needs tgt and
 * qemu-block-extra (bin/install-deps).
 */
class IscsiAdapterIT {
    @RegisterExtension
    static final TgtServer TGT = new TgtServer();

    IscsiTestRig rig;
    IscsiAdapter hostA;
    SrConfig sr;
    StorageRepository repo;

    @BeforeEach
    void createRepository() throws Exception {
        rig = new IscsiTestRig(TGT);
        hostA = rig.adapter("host-a");
        sr = rig.sr("san", 1 * GIB);
        hostA.create(sr);
        repo = hostA.attach(sr);
    }

    @AfterEach
    void destroyRepository() throws Exception {
        try {
            for (VirtualDiskInfo d : repo.scan()) {
                repo.detach(d.id());
            }
            repo.detach();
            hostA.destroy(sr);
            assertThat(rig.targetExists(sr.deviceConfig().get("target"))).isFalse();
            assertThat(TGT.backingDir().resolve(sr.uuid())).doesNotExist();
        } finally {
            rig.close();
        }
    }

    @Test
    void repositoryLifecycle() throws Exception {
        // Created: an empty, shared repository whose target the array exports.
        SrInfo info = repo.info();
        assertThat(info.uuid()).isEqualTo(sr.uuid());
        assertThat(info.shared()).isTrue();
        assertThat(info.physicalSize()).isEqualTo(GIB);
        assertThat(info.physicalUtilisation()).isZero();
        assertThat(repo.scan()).isEmpty();
        assertThat(rig.targetExists(sr.deviceConfig().get("target"))).isTrue();

        // Attaching again, on the same host, is the same view.
        assertThat(hostA.attach(sr)).isSameAs(repo);

        // Probing the backing dir finds it, and a second one.
        SrConfig other = rig.sr("other", GIB);
        hostA.create(other);
        assertThat(hostA.probe(sr)).extracting(SrInfo::uuid).contains(sr.uuid(), other.uuid());
        assertThat(hostA.probe(sr)).filteredOn(i -> i.uuid().equals(other.uuid())).singleElement()
                .satisfies(i -> assertThat(i.name()).isEqualTo("other"));

        // A repository that exists, and a target another repository owns, are refused.
        assertError(StorageErrorCode.ALREADY_EXISTS, () -> hostA.create(other));
        SrConfig sameTarget = new SrConfig(java.util.UUID.randomUUID().toString(), "copycat", "iscsi", other.deviceConfig());
        assertError(StorageErrorCode.ALREADY_EXISTS, () -> hostA.create(sameTarget));
        assertThat(TGT.backingDir().resolve(sameTarget.uuid())).doesNotExist();

        // Destroyed: gone from the array and from the probe; attaching it is NOT_FOUND.
        hostA.destroy(other);
        assertThat(rig.targetExists(other.deviceConfig().get("target"))).isFalse();
        assertThat(hostA.probe(sr)).extracting(SrInfo::uuid).doesNotContain(other.uuid());
        assertError(StorageErrorCode.NOT_FOUND, () -> hostA.attach(other));
    }

    @Test
    void badDeviceConfigChangesNothing() throws Exception {
        for (Map<String, String> bad : List.of(Map.of("target", "not-an-iqn"), Map.of("portal", "127.0.0.1:notaport"),
                Map.of("capacity", "-5"), Map.of("backing-dir", "relative/dir"), Map.of("chap-user", "alice"))) {
            SrConfig cfg = rig.sr("bad", GIB, bad);
            assertError(StorageErrorCode.INVALID_ARGUMENT, () -> hostA.create(cfg));
            assertThat(TGT.backingDir().resolve(cfg.uuid())).doesNotExist();
        }
        Map<String, String> missing = new HashMap<>(sr.deviceConfig());
        missing.remove("portal");
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> hostA.create(new SrConfig(sr.uuid() + "x", "bad", "iscsi", missing)));
        // A portal nothing listens on: UNAVAILABLE, nothing created.
        SrConfig unreachable = rig.sr("far", GIB, Map.of("portal", "127.0.0.1:1"));
        assertError(StorageErrorCode.UNAVAILABLE, () -> hostA.create(unreachable));
        assertThat(TGT.backingDir().resolve(unreachable.uuid())).doesNotExist();
    }

    @Test
    void diskDataSurvivesAnAgentRestart() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("system", 64 * MIB, Map.of("vm", "web-1")));
        assertThat(disk.virtualSize()).isEqualTo(64 * MIB);
        assertThat(repo.info().physicalUtilisation()).isEqualTo(64 * MIB);

        DiskAttachment rw = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(rw.protocol()).containsEntry("driver", "iscsi").containsEntry("transport", "tcp")
                .containsEntry("portal", TGT.portal()).containsEntry("target", sr.deviceConfig().get("target"))
                .containsKey("lun").doesNotContainKeys("user", "password-secret");
        assertThat(rw.format()).isEqualTo("raw");
        assertThat(QemuIo.io(rw, "read -P 0 0 1M", "write -P 0x5a 0 1M", "write -P 0xa5 63M 1M")).matches(QemuIo.Run::ok);
        repo.detach(disk.id());

        // A restarted agent (a new adapter on the same host) finds the disk, its metadata and data.
        IscsiAdapter restarted = rig.adapter("host-a");
        StorageRepository again = restarted.attach(sr);
        assertThat(again.disk(disk.id())).satisfies(d -> {
            assertThat(d.name()).isEqualTo("system");
            assertThat(d.virtualSize()).isEqualTo(64 * MIB);
            assertThat(d.metadata()).containsEntry("vm", "web-1");
            assertThat(d.createdAt()).isEqualTo(disk.createdAt());
        });
        DiskAttachment ro = again.attach(disk.id(), AccessMode.READ_ONLY);
        assertThat(ro.readOnly()).isTrue();
        assertThat(QemuIo.io(ro, "read -P 0x5a 0 1M", "read -P 0xa5 63M 1M")).matches(QemuIo.Run::ok);
        assertThat(QemuIo.io(ro, "write 0 4k").ok()).isFalse();
        again.detach(disk.id());
    }

    @Test
    void volumesLeftByACrashAreRemovedAtTheNextAttach() throws Exception {
        // An agent that died between making a volume (or a copy) and writing the catalog.
        VirtualDiskInfo kept = repo.createDisk(new DiskCreateRequest("kept", MIB));
        java.nio.file.Path dir = TGT.backingDir().resolve(sr.uuid());
        java.nio.file.Files.write(dir.resolve(java.util.UUID.randomUUID() + ".img"), new byte[512]);
        java.nio.file.Files.write(dir.resolve(kept.id() + ".img.copy"), new byte[512]);
        rig.adapter("host-b").attach(sr).detach();
        assertThat(rig.volumeFiles(sr)).containsExactly(kept.id() + ".img");
    }

    @Test
    void badDisksAreRefusedAndLeaveNothing() throws Exception {
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.createDisk(new DiskCreateRequest("a/b", MIB)));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.createDisk(new DiskCreateRequest("..", MIB)));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.createDisk(new DiskCreateRequest("x..y", MIB)));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.createDisk(new DiskCreateRequest("zero", 0)));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.createDisk(new DiskCreateRequest("negative", -512)));
        StorageException tooBig = assertError(StorageErrorCode.NO_SPACE, () -> repo.createDisk(new DiskCreateRequest("huge", 2 * GIB)));
        assertThat(tooBig.getMessage()).contains("san").contains(Long.toString(GIB));

        // Exactly the capacity fits; one more sector does not.
        VirtualDiskInfo full = repo.createDisk(new DiskCreateRequest("full", GIB));
        assertError(StorageErrorCode.NO_SPACE, () -> repo.createDisk(new DiskCreateRequest("one-more", 512)));
        assertError(StorageErrorCode.NO_SPACE, () -> repo.clone(full.id(), "copy", CloneMode.FULL));
        assertError(StorageErrorCode.NO_SPACE, () -> repo.snapshot(full.id(), "snap"));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.snapshot(full.id(), "../snap"));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.clone(full.id(), "a/b", CloneMode.FULL));
        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactly(full.id());
        assertThat(rig.volumeFiles(sr)).containsExactly(full.id() + ".img");
        assertThat(rig.exportedLuns(sr.deviceConfig().get("target"))).hasSize(1);
        assertError(StorageErrorCode.NOT_FOUND, () -> repo.disk("no-such-disk"));
    }

    @Test
    void deleteFreesTheLunAndRefusesAttachedDisks() throws Exception {
        VirtualDiskInfo keep = repo.createDisk(new DiskCreateRequest("keep", 8 * MIB));
        VirtualDiskInfo gone = repo.createDisk(new DiskCreateRequest("gone", 8 * MIB));
        assertThat(rig.exportedLuns(sr.deviceConfig().get("target"))).hasSize(2);

        repo.attach(gone.id(), AccessMode.READ_ONLY);
        StorageException inUse = assertError(StorageErrorCode.IN_USE, () -> repo.deleteDisk(gone.id()));
        assertThat(inUse.getMessage()).contains("host-a");
        repo.detach(gone.id());
        repo.detach(gone.id()); // idempotent

        repo.deleteDisk(gone.id());
        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactly(keep.id());
        assertThat(rig.volumeFiles(sr)).containsExactly(keep.id() + ".img");
        assertThat(rig.exportedLuns(sr.deviceConfig().get("target"))).hasSize(1);
        assertThat(repo.info().physicalUtilisation()).isEqualTo(8 * MIB);
        assertError(StorageErrorCode.NOT_FOUND, () -> repo.deleteDisk(gone.id()));

        // The freed LUN number is used again.
        VirtualDiskInfo next = repo.createDisk(new DiskCreateRequest("next", 8 * MIB));
        DiskAttachment a = repo.attach(next.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(a, "read -P 0 0 8M")).matches(QemuIo.Run::ok);
        repo.detach(next.id());
    }

    @Test
    void resizeGrowsKeepingDataAndNeverShrinks() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("grow", 16 * MIB));
        DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(a, "write -P 0x11 15M 1M")).matches(QemuIo.Run::ok);
        assertError(StorageErrorCode.IN_USE, () -> repo.resize(disk.id(), 32 * MIB));
        repo.detach(disk.id());

        assertThat(repo.resize(disk.id(), 32 * MIB).virtualSize()).isEqualTo(32 * MIB);
        DiskAttachment grown = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.info(grown).output()).contains("virtual size: 32 MiB");
        assertThat(QemuIo.io(grown, "read -P 0x11 15M 1M", "read -P 0 16M 16M")).matches(QemuIo.Run::ok);
        repo.detach(disk.id());

        assertError(StorageErrorCode.SHRINK_NOT_ALLOWED, () -> repo.resize(disk.id(), 16 * MIB));
        assertError(StorageErrorCode.NO_SPACE, () -> repo.resize(disk.id(), 2 * GIB));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.resize(disk.id(), 32 * MIB + 1));
        assertThat(repo.disk(disk.id()).virtualSize()).isEqualTo(32 * MIB);
        assertThat(repo.info().physicalUtilisation()).isEqualTo(32 * MIB);
    }

    @Test
    void fullCloneCopiesAndIsIndependent() throws Exception {
        VirtualDiskInfo source = repo.createDisk(new DiskCreateRequest("golden", 16 * MIB, Map.of("os", "debian")));
        DiskAttachment a = repo.attach(source.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(a, "write -P 0x42 0 2M")).matches(QemuIo.Run::ok);
        // Copying a disk that is being written would copy a moving target.
        assertError(StorageErrorCode.IN_USE, () -> repo.clone(source.id(), "copy", CloneMode.FULL));
        repo.detach(source.id());

        StorageException linked = assertError(StorageErrorCode.NOT_SUPPORTED, () -> repo.clone(source.id(), "linked", CloneMode.LINKED));
        assertThat(linked).hasMessage(StorageBehavior.SUPPORTS_LINKED_CLONE.notSupportedMessage());

        VirtualDiskInfo clone = repo.clone(source.id(), "copy", CloneMode.FULL);
        assertThat(clone.id()).isNotEqualTo(source.id());
        assertThat(clone.snapshotOf()).isNull();
        assertThat(clone.readOnly()).isFalse();
        assertThat(clone.virtualSize()).isEqualTo(16 * MIB);
        DiskAttachment c = repo.attach(clone.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(c, "read -P 0x42 0 2M", "write -P 0x43 0 1M")).matches(QemuIo.Run::ok);
        repo.detach(clone.id());
        DiskAttachment s = repo.attach(source.id(), AccessMode.READ_ONLY);
        assertThat(QemuIo.io(s, "read -P 0x42 0 2M")).matches(QemuIo.Run::ok);
        repo.detach(source.id());
        assertThat(repo.info().physicalUtilisation()).isEqualTo(32 * MIB);
    }

    @Test
    void snapshotIsReadOnlyAndRevertBringsDataBack() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("db", 16 * MIB));
        DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(a, "write -P 0x01 0 1M")).matches(QemuIo.Run::ok);
        assertError(StorageErrorCode.IN_USE, () -> repo.snapshot(disk.id(), "while-written"));
        repo.detach(disk.id());

        VirtualDiskInfo snap = repo.snapshot(disk.id(), "before-upgrade");
        assertThat(snap.snapshotOf()).isEqualTo(disk.id());
        assertThat(snap.readOnly()).isTrue();
        assertThat(snap.isSnapshot()).isTrue();
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.attach(snap.id(), AccessMode.READ_WRITE));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.resize(snap.id(), 32 * MIB));

        // The disk moves on; the snapshot does not, even for a writer that tries.
        a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(a, "write -P 0x02 0 1M")).matches(QemuIo.Run::ok);
        repo.detach(disk.id());
        repo.resize(disk.id(), 32 * MIB);
        DiskAttachment s = repo.attach(snap.id(), AccessMode.READ_ONLY);
        assertThat(QemuIo.io(s, "read -P 0x01 0 1M")).matches(QemuIo.Run::ok);
        assertThat(QemuIo.io(new DiskAttachment(s.protocol(), "raw", null, false, null), "write 0 4k").ok()).isFalse();

        repo.detach(snap.id());

        // Revert needs the disk detached and the snapshot to be the disk's.
        repo.attach(disk.id(), AccessMode.READ_ONLY);
        assertError(StorageErrorCode.IN_USE, () -> repo.revert(disk.id(), snap.id()));
        repo.detach(disk.id());
        VirtualDiskInfo other = repo.createDisk(new DiskCreateRequest("other", MIB));
        assertError(StorageErrorCode.INVALID_ARGUMENT, () -> repo.revert(other.id(), snap.id()));

        VirtualDiskInfo reverted = repo.revert(disk.id(), snap.id());
        assertThat(reverted.id()).isEqualTo(disk.id());
        assertThat(reverted.virtualSize()).isEqualTo(16 * MIB);
        a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(a, "read -P 0x01 0 1M")).matches(QemuIo.Run::ok);
        assertThat(QemuIo.info(a).output()).contains("virtual size: 16 MiB");
        repo.detach(disk.id());
        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).contains(snap.id());

        // A snapshot is a disk of its own: deleting the disk leaves it, deleting it frees its space.
        repo.deleteDisk(disk.id());
        assertThat(repo.disk(snap.id()).snapshotOf()).isEqualTo(disk.id());
        repo.deleteDisk(snap.id());
        assertThat(repo.info().physicalUtilisation()).isEqualTo(MIB);
    }

    @Test
    void metadataIsReplacedAndSeenFromOtherHosts() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("meta", MIB, Map.of("a", "1", "b", "2")));
        Map<String, String> odd = Map.of("vm", "web 1", "path=x", "a:b\\c\nd", "ünï", "çødé");
        assertThat(repo.setMetadata(disk.id(), odd).metadata()).isEqualTo(odd);
        StorageRepository fromB = rig.adapter("host-b").attach(sr);
        assertThat(fromB.disk(disk.id()).metadata()).isEqualTo(odd);
        assertThat(fromB.setMetadata(disk.id(), Map.of()).metadata()).isEmpty();
        assertThat(repo.disk(disk.id()).metadata()).isEmpty();
        assertError(StorageErrorCode.NOT_FOUND, () -> repo.setMetadata("nope", Map.of()));
        fromB.detach();
    }

    @Test
    void readWriteOnOneHostAtATime() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("shared", 4 * MIB));
        IscsiAdapter hostB = rig.adapter("host-b");
        StorageRepository repoB = hostB.attach(sr);

        repo.attach(disk.id(), AccessMode.READ_WRITE);
        repo.attach(disk.id(), AccessMode.READ_WRITE); // again on the same host: fine
        StorageException busy = assertError(StorageErrorCode.IN_USE, () -> repoB.attach(disk.id(), AccessMode.READ_WRITE));
        assertThat(busy.getMessage()).contains("host-a");
        DiskAttachment reader = repoB.attach(disk.id(), AccessMode.READ_ONLY);
        assertThat(QemuIo.io(reader, "read -P 0 0 4M")).matches(QemuIo.Run::ok);

        // Host B cannot leave the repository while it holds a disk, nor can anyone delete it.
        assertError(StorageErrorCode.IN_USE, repoB::detach);
        assertError(StorageErrorCode.IN_USE, () -> repo.deleteDisk(disk.id()));
        assertError(StorageErrorCode.IN_USE, () -> hostA.destroy(sr));

        repo.detach(disk.id());
        repoB.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(assertError(StorageErrorCode.IN_USE, () -> repo.attach(disk.id(), AccessMode.READ_WRITE))).hasMessageContaining("host-b");
        repoB.detach(disk.id());
        repoB.detach();
        repo.attach(disk.id(), AccessMode.READ_WRITE);
        repo.detach(disk.id());
    }

    @Test
    void concurrentChangesFromTwoHostsGetDistinctLuns() throws Exception {
        // The repository lock (a file lock on the array, and a JVM lock for adapters in one process)
        // keeps two hosts from handing out the same LUN or losing each other's catalog entries.
        StorageRepository repoB = rig.adapter("host-b").attach(sr);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<VirtualDiskInfo>> made = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                StorageRepository on = i % 2 == 0 ? repo : repoB;
                String name = "parallel-" + i;
                made.add(pool.submit(() -> on.createDisk(new DiskCreateRequest(name, 4 * MIB))));
            }
            for (Future<VirtualDiskInfo> f : made) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(repo.scan()).hasSize(8);
        assertThat(rig.exportedLuns(sr.deviceConfig().get("target"))).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(rig.volumeFiles(sr)).hasSize(8);
        repoB.detach();
    }

    @Test
    void undeclaredBehaviorsAnswerNotSupported() {
        assertThat(hostA.behaviors()).containsExactlyInAnyOrder(StorageBehavior.SUPPORTS_SNAPSHOT, StorageBehavior.SUPPORTS_FULL_CLONE,
                StorageBehavior.SUPPORTS_REVERT, StorageBehavior.SUPPORTS_RESIZE, StorageBehavior.SUPPORTS_LARGE_DISKS,
                StorageBehavior.SUPPORTS_METADATA, StorageBehavior.SHARED, StorageBehavior.SUPPORTS_PROBE, StorageBehavior.SUPPORTS_RELEASE_HOST);
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("plain", MIB));
        String cbt = StorageBehavior.SUPPORTS_CBT.notSupportedMessage();
        assertThat(assertError(StorageErrorCode.NOT_SUPPORTED, () -> repo.enableChangedBlockTracking(disk.id()))).hasMessage(cbt);
        assertThat(assertError(StorageErrorCode.NOT_SUPPORTED, () -> repo.disableChangedBlockTracking(disk.id()))).hasMessage(cbt);
        assertThat(assertError(StorageErrorCode.NOT_SUPPORTED, () -> repo.changedBlocks(disk.id(), disk.id()))).hasMessage(cbt);
        assertThat(hostA.configKeys()).extracting(k -> k.name()).contains("portal", "target", "backing-dir", "chap-user",
                "chap-password", "capacity");
        assertThat(hostA.configKeys()).filteredOn(k -> k.secret()).extracting(k -> k.name()).containsExactly("chap-password");
    }

    @Test
    void disksLargerThanTwoTebibytes() throws Exception {
        SrConfig big = rig.sr("big", 8L * 1024 * GIB);
        hostA.create(big);
        StorageRepository bigRepo = hostA.attach(big);
        try {
            long size = 3L * 1024 * GIB;
            VirtualDiskInfo disk = bigRepo.createDisk(new DiskCreateRequest("large", size));
            DiskAttachment a = bigRepo.attach(disk.id(), AccessMode.READ_WRITE);
            assertThat(QemuIo.info(a).output()).contains("virtual size: 3 TiB");
            assertThat(QemuIo.io(a, "write -P 0x77 2900G 64k", "read -P 0x77 2900G 64k", "read -P 0 3071G 1M")).matches(QemuIo.Run::ok);
            bigRepo.detach(disk.id());
            // Snapshot and grow a large disk: sparse copies take no time and no space.
            VirtualDiskInfo snap = bigRepo.snapshot(disk.id(), "large-snap");
            bigRepo.resize(disk.id(), 4L * 1024 * GIB);
            DiskAttachment s = bigRepo.attach(snap.id(), AccessMode.READ_ONLY);
            assertThat(QemuIo.io(s, "read -P 0x77 2900G 64k")).matches(QemuIo.Run::ok);
            bigRepo.detach(snap.id());
            bigRepo.deleteDisk(snap.id());
            bigRepo.deleteDisk(disk.id());
        } finally {
            bigRepo.detach();
            hostA.destroy(big);
        }
    }
}
