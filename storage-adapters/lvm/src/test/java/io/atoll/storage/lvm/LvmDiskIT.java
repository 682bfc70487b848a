package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Disks: what is refused, what a failure leaves (nothing), data through attachments, growing. */
class LvmDiskIT extends LvmTestBase {

    @Test
    void badRequestsAreRefusedAndLeaveNothingBehind() {
        long free = hosts.vgFree();
        assertError(() -> new DiskCreateRequest("a/b", MiB), StorageErrorCode.INVALID_ARGUMENT, "'a/b'");
        assertError(() -> new DiskCreateRequest("..", MiB), StorageErrorCode.INVALID_ARGUMENT);
        assertError(() -> new DiskCreateRequest("x", 0), StorageErrorCode.INVALID_ARGUMENT, "size is 0 bytes");
        assertError(() -> new DiskCreateRequest("x", -512), StorageErrorCode.INVALID_ARGUMENT);
        assertError(() -> repo.createDisk(new DiskCreateRequest("too big", free)), StorageErrorCode.NO_SPACE,
                "needs", "volume group", "free");
        assertError(() -> repo.createDisk(new DiskCreateRequest("huge", 1L << 62)), StorageErrorCode.NO_SPACE);
        assertError(() -> repo.createDisk(new DiskCreateRequest("meta", MiB, Map.of("k", "x".repeat(2000)))),
                StorageErrorCode.INVALID_ARGUMENT, "too long");
        assertThat(hosts.volumes()).isEmpty();
        assertThat(hosts.vgFree()).isEqualTo(free);

        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("ok", 16 * MiB));
        assertError(() -> repo.snapshot(disk.id(), "../escape"), StorageErrorCode.INVALID_ARGUMENT);
        assertError(() -> repo.clone(disk.id(), "a/b", io.atoll.storage.spi.CloneMode.FULL), StorageErrorCode.INVALID_ARGUMENT);
        assertError(() -> repo.disk("no-such-id"), StorageErrorCode.NOT_FOUND);
        assertThat(hosts.volumes()).hasSize(1);
    }

    /** An image that cannot be written takes its new volume with it. */
    @Test
    void aFailureHalfWayRemovesWhatWasCreated() throws IOException {
        repo.detach();
        hosts.a.destroy(hosts.config);
        hosts.close();
        FailingRunner failing = new FailingRunner();
        hosts = new Hosts(2 * GiB, failing);
        hosts.a.create(hosts.config);
        repo = hosts.a.attach(hosts.config);
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("kept", 16 * MiB));
        write(disk.id(), 0x42, 0, MiB);
        long free = hosts.vgFree();

        failing.failOn = "convert";
        assertError(() -> repo.createDisk(new DiskCreateRequest("lost", 16 * MiB)), StorageErrorCode.BACKEND_FAILED, "injected");
        assertError(() -> repo.snapshot(disk.id(), "lost"), StorageErrorCode.BACKEND_FAILED, "injected");
        assertError(() -> repo.clone(disk.id(), "lost", io.atoll.storage.spi.CloneMode.FULL), StorageErrorCode.BACKEND_FAILED);
        assertError(() -> repo.clone(disk.id(), "lost", io.atoll.storage.spi.CloneMode.LINKED), StorageErrorCode.BACKEND_FAILED);
        failing.failOn = null;
        assertThat(hosts.volumes()).hasSize(1);
        assertThat(hosts.vgFree()).isEqualTo(free);
        assertThat(repo.scan()).containsExactly(disk);
        verify(disk.id(), 0x42, 0, MiB);
    }

    /** Fails the qemu-img sub-command it is told to, once set. */
    static final class FailingRunner extends CommandRunner {
        volatile String failOn;

        @Override
        public Result run(List<String> command, Duration timeout, List<String> secrets) {
            if (failOn != null && command.get(0).equals("qemu-img") && command.contains(failOn)) {
                return new Result(command, 1, "", "injected failure of qemu-img " + failOn);
            }
            return super.run(command, timeout, secrets);
        }
    }

    @Test
    void dataWrittenThroughAnAttachmentStaysAndNewDisksReadAsZeroes() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("data", 64 * MiB));
        assertThat(repo.disk(disk.id())).isEqualTo(disk);
        DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(a.format()).isEqualTo("qcow2");
        Images.io(a, "write -P 0x5a 0 64M");
        repo.detach(disk.id());
        verify(disk.id(), 0x5a, 0, 64 * MiB);

        // The next disk gets the same extents, full of 0x5a underneath: it must still read zeroes.
        repo.deleteDisk(disk.id());
        assertThat(hosts.volumes()).isEmpty();
        VirtualDiskInfo fresh = repo.createDisk(new DiskCreateRequest("fresh", 64 * MiB));
        verify(fresh.id(), 0, 0, 64 * MiB);
        write(fresh.id(), 0x11, 4096, 512);
        verify(fresh.id(), 0, 0, 4096);
        verify(fresh.id(), 0x11, 4096, 512);
        verify(fresh.id(), 0, 4608, 64 * MiB - 4608);
    }

    @Test
    void disksGrowInPlaceOrByMovingAndNeverShrink() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("growing", 32 * MiB));
        write(disk.id(), 0x11, 0, MiB);
        // Room after it: grows in place.
        String lv = hosts.volumes().get(0).lvName();
        assertThat(repo.resize(disk.id(), 64 * MiB).virtualSize()).isEqualTo(64 * MiB);
        assertThat(hosts.volumes()).extracting(Volume::lvName).containsExactly(lv);
        write(disk.id(), 0x22, 63 * MiB, MiB);

        // A neighbour right after it: the volume moves to stay contiguous.
        VirtualDiskInfo neighbour = repo.createDisk(new DiskCreateRequest("neighbour", 16 * MiB));
        write(neighbour.id(), 0x33, 0, MiB);
        assertThat(repo.resize(disk.id(), 256 * MiB).virtualSize()).isEqualTo(256 * MiB);
        assertThat(hosts.volumes()).extracting(Volume::lvName).doesNotContain(lv).hasSize(2);
        assertThat(hosts.volumes()).allSatisfy(v -> assertThat(v.segments()).isEqualTo(1));
        assertThat(repo.disk(disk.id()).virtualSize()).isEqualTo(256 * MiB);
        verify(disk.id(), 0x11, 0, MiB);
        verify(disk.id(), 0x22, 63 * MiB, MiB);
        verify(disk.id(), 0, 64 * MiB, 192 * MiB);
        verify(neighbour.id(), 0x33, 0, MiB);
        write(disk.id(), 0x44, 255 * MiB, MiB);
        verify(disk.id(), 0x44, 255 * MiB, MiB);

        assertError(() -> repo.resize(disk.id(), 16 * MiB), StorageErrorCode.SHRINK_NOT_ALLOWED, "cannot shrink");
        assertError(() -> repo.resize(disk.id(), 64 * GiB), StorageErrorCode.NO_SPACE);
        assertThat(repo.disk(disk.id()).virtualSize()).isEqualTo(256 * MiB);
        repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertError(() -> repo.resize(disk.id(), 512 * MiB), StorageErrorCode.IN_USE);
        repo.detach(disk.id());
    }

    /** Volumes are contiguous: free space split between volumes is no room for a larger one. */
    @Test
    void fragmentedFreeSpaceGivesAPreciseNoSpace() {
        List<VirtualDiskInfo> disks = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            disks.add(repo.createDisk(new DiskCreateRequest("d" + i, 480 * MiB)));
        }
        repo.deleteDisk(disks.get(0).id());
        repo.deleteDisk(disks.get(2).id());
        assertThat(repo.info().free()).isGreaterThan(900 * MiB);
        assertError(() -> repo.createDisk(new DiskCreateRequest("wide", 700 * MiB)), StorageErrorCode.NO_SPACE,
                "no contiguous run", "free in all");
        assertThat(hosts.volumes()).hasSize(2);
        assertThat(repo.createDisk(new DiskCreateRequest("narrow", 400 * MiB)).virtualSize()).isEqualTo(400 * MiB);
    }

    @Test
    void metadataIsKeptInTags() {
        Map<String, String> meta = Map.of("owner", "web-1", "note", "ünïcode, spaces & symbols/.._+=");
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("tagged", 16 * MiB, meta));
        assertThat(disk.metadata()).isEqualTo(meta);
        repo.setMetadata(disk.id(), Map.of("owner", "db-2", "tier", "gold"));
        repo.detach();
        StorageRepository again = hosts.b.attach(hosts.config);
        assertThat(again.disk(disk.id()).metadata()).isEqualTo(Map.of("owner", "db-2", "tier", "gold"));
        again.detach();
        repo = hosts.a.attach(hosts.config);
    }
}
