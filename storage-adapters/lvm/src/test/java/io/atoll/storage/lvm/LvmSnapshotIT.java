package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.ChangedBlocks;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Snapshots, clones and revert as backing chains across volumes, and merging them away. */
class LvmSnapshotIT extends LvmTestBase {

    @Test
    void snapshotsClonesAndRevert() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("source", 32 * MiB, Map.of("k", "v")));
        write(disk.id(), 0xa1, 0, 2 * MiB);
        VirtualDiskInfo s1 = repo.snapshot(disk.id(), "before upgrade");
        assertThat(s1.snapshotOf()).isEqualTo(disk.id());
        assertThat(s1.readOnly()).isTrue();
        assertThat(s1.metadata()).isEqualTo(Map.of("k", "v"));
        assertThat(repo.disk(disk.id())).isEqualTo(disk);
        assertError(() -> repo.attach(s1.id(), AccessMode.READ_WRITE), StorageErrorCode.INVALID_ARGUMENT, "read-only");
        write(disk.id(), 0xb2, 0, MiB);
        verify(disk.id(), 0xb2, 0, MiB);
        verify(disk.id(), 0xa1, MiB, MiB);
        verify(s1.id(), 0xa1, 0, 2 * MiB);

        VirtualDiskInfo linked = repo.clone(s1.id(), "linked", CloneMode.LINKED);
        verify(linked.id(), 0xa1, 0, 2 * MiB);
        write(linked.id(), 0xc3, 0, MiB);
        verify(s1.id(), 0xa1, 0, 2 * MiB);

        // A linked clone of a disk: the disk's image freezes as a nameless base under both.
        VirtualDiskInfo ofDisk = repo.clone(disk.id(), "of disk", CloneMode.LINKED);
        verify(ofDisk.id(), 0xb2, 0, MiB);
        write(disk.id(), 0xd4, 0, MiB);
        verify(ofDisk.id(), 0xb2, 0, MiB);
        assertThat(repo.scan()).hasSize(4);
        assertThat(hosts.volumes()).hasSize(5); // s1, the frozen base, the disk's new image, the two clones

        VirtualDiskInfo full = repo.clone(s1.id(), "full", CloneMode.FULL);
        assertThat(Images.chain(repo.attach(full.id(), AccessMode.READ_ONLY))).doesNotContain("backing file");
        repo.detach(full.id());
        verify(full.id(), 0xa1, 0, 2 * MiB);
        repo.deleteDisk(s1.id()); // merged into the linked clone and the disk's chain
        verify(full.id(), 0xa1, 0, 2 * MiB);
        verify(linked.id(), 0xc3, 0, MiB);
        verify(linked.id(), 0xa1, MiB, MiB);

        VirtualDiskInfo s2 = repo.snapshot(disk.id(), "s2");
        write(disk.id(), 0xe5, 0, 2 * MiB);
        VirtualDiskInfo reverted = repo.revert(disk.id(), s2.id());
        assertThat(reverted.id()).isEqualTo(disk.id());
        verify(disk.id(), 0xd4, 0, MiB);
        verify(disk.id(), 0xa1, MiB, MiB);
        assertError(() -> repo.revert(disk.id(), linked.id()), StorageErrorCode.INVALID_ARGUMENT);

        // Deleting the clone of the disk leaves the base with one child: it is merged away.
        repo.deleteDisk(ofDisk.id());
        verify(disk.id(), 0xd4, 0, MiB);
        verify(s2.id(), 0xd4, 0, MiB);
        for (VirtualDiskInfo d : List.of(s2, disk, full, linked)) {
            repo.deleteDisk(d.id());
        }
        assertThat(repo.scan()).isEmpty();
        assertThat(hosts.volumes()).isEmpty();
    }

    /**
     * A chain of three snapshots; one is deleted — the oldest, the middle or the newest — and the
     * disk and the other two read byte for byte as before.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void deletingASnapshotAnywhereInTheChainKeepsEveryonesData(int position) throws IOException {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("chain", 16 * MiB));
        write(disk.id(), 0x01, 0, MiB);
        VirtualDiskInfo s1 = repo.snapshot(disk.id(), "s1");
        write(disk.id(), 0x02, MiB, MiB);
        write(disk.id(), 0x12, 0, 512 * 1024);
        VirtualDiskInfo s2 = repo.snapshot(disk.id(), "s2");
        write(disk.id(), 0x03, 2 * MiB, MiB);
        write(disk.id(), 0x13, 256 * 1024, 64 * 1024);
        VirtualDiskInfo s3 = repo.snapshot(disk.id(), "s3");
        write(disk.id(), 0x04, 3 * MiB, MiB);
        List<VirtualDiskInfo> all = List.of(disk, s1, s2, s3);
        Map<String, String> before = new LinkedHashMap<>();
        for (VirtualDiskInfo d : all) {
            before.put(d.id(), digest(d.id()));
        }
        assertThat(before.values()).doesNotHaveDuplicates();

        VirtualDiskInfo gone = List.of(s1, s2, s3).get(position);
        repo.deleteDisk(gone.id());

        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactlyInAnyOrderElementsOf(
                all.stream().map(VirtualDiskInfo::id).filter(id -> !id.equals(gone.id())).toList());
        for (VirtualDiskInfo d : all) {
            if (!d.equals(gone)) {
                assertThat(digest(d.id())).as("content of %s after deleting %s", d.name(), gone.name()).isEqualTo(before.get(d.id()));
            }
        }
        assertThat(hosts.volumes()).hasSize(3);
        verify(disk.id(), 0x12, 0, 256 * 1024);
        verify(disk.id(), 0x13, 256 * 1024, 64 * 1024);
        verify(disk.id(), 0x04, 3 * MiB, MiB);
    }

    /** A disk deleted keeps its snapshots; the last reader of a snapshot gets its data merged in. */
    @Test
    void deletingADiskKeepsItsSnapshotsAndClones() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("parent", 16 * MiB));
        write(disk.id(), 0x61, 0, MiB);
        VirtualDiskInfo snap = repo.snapshot(disk.id(), "keep");
        VirtualDiskInfo clone = repo.clone(snap.id(), "child", CloneMode.LINKED);
        repo.deleteDisk(disk.id());
        verify(snap.id(), 0x61, 0, MiB);
        repo.deleteDisk(snap.id());
        verify(clone.id(), 0x61, 0, MiB);
        assertThat(Images.chain(repo.attach(clone.id(), AccessMode.READ_ONLY))).doesNotContain("backing file");
        repo.detach(clone.id());
        repo.deleteDisk(clone.id());
        assertThat(hosts.volumes()).isEmpty();
    }

    /** A snapshot whose dependents are open on another host is not merged offline. */
    @Test
    void aSnapshotReadThroughByAnAttachedDiskIsNotMergedOffline() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("busy", 16 * MiB));
        write(disk.id(), 0x71, 0, MiB);
        VirtualDiskInfo snap = repo.snapshot(disk.id(), "s");
        var onB = hosts.b.attach(hosts.config);
        onB.attach(disk.id(), AccessMode.READ_WRITE);
        assertError(() -> repo.deleteDisk(snap.id()), StorageErrorCode.IN_USE, hosts.contextB.hostUuid());
        onB.detach(disk.id());
        onB.detach();
        repo.deleteDisk(snap.id());
        verify(disk.id(), 0x71, 0, MiB);
    }

    /** Changed blocks between snapshots, exact at 64 KiB, through merges and a resize. */
    @Test
    void changedBlocksAreExactAcrossMergesAndResize() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("tracked", 32 * MiB));
        write(disk.id(), 0x01, 0, 4 * MiB);
        assertThat(repo.enableChangedBlockTracking(disk.id()).cbtEnabled()).isTrue();
        VirtualDiskInfo s1 = repo.snapshot(disk.id(), "base");
        write(disk.id(), 0x02, MiB, 64 * 1024);
        write(disk.id(), 0x03, 20 * MiB + 4096, 3 * 64 * 1024);
        VirtualDiskInfo s2 = repo.snapshot(disk.id(), "incr");
        ChangedBlocks c12 = repo.changedBlocks(s1.id(), s2.id());
        assertThat(c12.blockSize()).isEqualTo(64 * 1024);
        assertThat(c12.virtualSize()).isEqualTo(32 * MiB);
        assertThat(c12.extents()).containsExactly(new ChangedBlocks.Extent(MiB, 64 * 1024),
                new ChangedBlocks.Extent(20 * MiB, 4 * 64 * 1024));

        // Grow, write past the old end, snapshot; then merge the middle snapshot away.
        repo.resize(disk.id(), 48 * MiB);
        write(disk.id(), 0x04, 40 * MiB, 64 * 1024);
        write(disk.id(), 0x05, 2 * MiB, 128 * 1024);
        VirtualDiskInfo s3 = repo.snapshot(disk.id(), "grown");
        assertThat(repo.changedBlocks(s2.id(), s3.id()).extents()).containsExactly(new ChangedBlocks.Extent(2 * MiB, 128 * 1024),
                new ChangedBlocks.Extent(40 * MiB, 64 * 1024));
        repo.deleteDisk(s2.id());
        ChangedBlocks c13 = repo.changedBlocks(s1.id(), s3.id());
        assertThat(c13.virtualSize()).isEqualTo(48 * MiB);
        assertThat(c13.extents()).containsExactly(new ChangedBlocks.Extent(MiB, 64 * 1024), new ChangedBlocks.Extent(2 * MiB, 128 * 1024),
                new ChangedBlocks.Extent(20 * MiB, 4 * 64 * 1024), new ChangedBlocks.Extent(40 * MiB, 64 * 1024));
        assertError(() -> repo.changedBlocks(s3.id(), s1.id()), StorageErrorCode.NOT_FOUND);

        VirtualDiskInfo s4 = repo.snapshot(disk.id(), "same");
        assertThat(repo.changedBlocks(s3.id(), s4.id()).extents()).isEmpty();
        assertThat(repo.disableChangedBlockTracking(disk.id()).cbtEnabled()).isFalse();
        assertError(() -> repo.changedBlocks(s1.id(), s3.id()), StorageErrorCode.NOT_FOUND, "tracking was off");
        write(disk.id(), 0x06, 0, MiB);
        VirtualDiskInfo s5 = repo.snapshot(disk.id(), "untracked");
        assertError(() -> repo.changedBlocks(s4.id(), s5.id()), StorageErrorCode.NOT_FOUND);
        for (VirtualDiskInfo s : List.of(s5, s4, s3, s1, disk)) {
            repo.deleteDisk(s.id());
        }
        assertThat(hosts.volumes()).isEmpty();
    }
}
