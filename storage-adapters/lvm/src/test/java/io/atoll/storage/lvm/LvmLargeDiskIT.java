package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.VirtualDiskInfo;
import org.junit.jupiter.api.Test;

/**
 * Disks above 2 TiB on a 4 TiB loop device (a sparse file: only what is written takes space).
 * Volumes are thick, so the group must really hold the size; qcow2 inside allocates at its start,
 * so a write at the end of the disk lands near the start of the volume.
 */
class LvmLargeDiskIT extends LvmTestBase {
    private static final long TiB = 1L << 40;

    @Override
    long deviceBytes() {
        return 4 * TiB;
    }

    @Test
    void aDiskOf3TiBKeepsDataPast2TiBThroughSnapshotAndMerge() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("big", 3 * TiB));
        assertThat(disk.virtualSize()).isEqualTo(3 * TiB);
        assertThat(disk.physicalUtilisation()).isGreaterThan(3 * TiB);
        write(disk.id(), 0x5a, 3 * TiB - MiB, MiB);
        verify(disk.id(), 0x5a, 3 * TiB - MiB, MiB);
        verify(disk.id(), 0, 2 * TiB, MiB);
        // A second full-size volume does not fit: thick means thick.
        assertError(() -> repo.snapshot(disk.id(), "s"), io.atoll.storage.spi.StorageErrorCode.NO_SPACE, "thick");
        repo.deleteDisk(disk.id());
        assertThat(hosts.volumes()).isEmpty();
    }
}
