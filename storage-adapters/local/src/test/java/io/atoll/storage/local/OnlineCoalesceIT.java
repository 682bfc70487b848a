package io.atoll.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import io.atoll.storage.tck.TckGuest;
import io.atoll.storage.tck.TckHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Snapshot chains coalesce while the guest runs and writes: live snapshots through QMP
 * (blockdev-snapshot), then each snapshot deleted — middle, oldest, newest — during a guest
 * write, merged by QEMU's block-stream. Every file the guest wrote verifies, in the running guest
 * and after a cold boot, and no image is left over.
 */
class OnlineCoalesceIT {
    private TckHosts hosts;
    private StorageAdapter adapter;
    private SrConfig config;
    private StorageRepository repo;
    private Path dir;

    @BeforeEach
    void repository() throws Exception {
        hosts = new TckHosts();
        adapter = new LocalStoragePlugin.Factory().create(hosts.hostA());
        dir = hosts.root().resolve("sr");
        config = new SrConfig(UUID.randomUUID().toString(), "online", "local", Map.of("path", dir.toString()));
        adapter.create(config);
        repo = adapter.attach(config);
    }

    @AfterEach
    void cleanUp() throws Exception {
        hosts.close();
    }

    private long images() throws Exception {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".qcow2")).count();
        }
    }

    @Test
    void deletingSnapshotsInEveryPositionWhileTheGuestWritesKeepsItsData() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("busy disk", 256L << 20));
        DiskAttachment attachment = repo.attach(disk.id(), AccessMode.READ_WRITE);
        List<String> written = new java.util.ArrayList<>();
        try (TckGuest guest = TckGuest.boot(hosts, attachment)) {
            LiveBlockDevice live = hosts.vms().liveBlockDevice(guest.uuid(), "disk0");
            guest.write("a", 4);
            VirtualDiskInfo s1 = repo.snapshot(disk.id(), "s1", live);
            guest.write("b", 4);
            VirtualDiskInfo s2 = repo.snapshot(disk.id(), "s2", live);
            guest.write("c", 4);
            VirtualDiskInfo s3 = repo.snapshot(disk.id(), "s3", live);
            guest.write("d", 4);
            written.addAll(List.of("a", "b", "c", "d"));
            assertThat(live.chain()).hasSize(4);
            assertThat(images()).isEqualTo(4);

            // Each deletion runs while the guest writes 16 MiB.
            for (VirtualDiskInfo snap : List.of(s2, s1, s3)) {
                String file = "during-" + snap.name();
                Runnable wrote = guest.beginWrite(file, 16);
                repo.deleteDisk(snap.id(), live);
                wrote.run();
                written.add(file);
                for (String f : written) {
                    guest.verify(f);
                }
            }
            assertThat(live.chain()).hasSize(1);
            assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactly(disk.id());
            assertThat(images()).isEqualTo(1);
        } finally {
            repo.detach(disk.id());
        }

        // A cold boot from the merged image reads everything too.
        DiskAttachment again = repo.attach(disk.id(), AccessMode.READ_WRITE);
        try (TckGuest guest = TckGuest.boot(hosts, again)) {
            for (String f : written) {
                guest.verify(f);
            }
        } finally {
            repo.detach(disk.id());
        }
        repo.deleteDisk(disk.id());
    }
}
