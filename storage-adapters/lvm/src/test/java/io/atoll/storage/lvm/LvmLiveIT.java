package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.host.HostProbe;
import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.VirtualDiskInfo;
import io.atoll.vm.NodeConfig;
import io.atoll.vm.VmManager;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Snapshots taken and merged while the Linux test guest writes to the disk, through the host
 * runtime's {@code LiveBlockDevice} (QMP {@code blockdev-snapshot} and {@code block-stream}).
 * Needs QEMU and the built test guests besides lvm2.
 */
class LvmLiveIT extends LvmTestBase {
    private VmManager vms;

    @BeforeEach
    void runtime() throws IOException {
        vms = new VmManager(new NodeConfig(hosts.root.resolve("vm-state"), hosts.root.resolve("vm-run"), null, Duration.ofSeconds(30),
                Duration.ofSeconds(30), 256), new HostProbe());
    }

    @AfterEach
    void stopRuntime() {
        for (var vm : vms.list()) {
            if (vm.pid() != null) {
                ProcessHandle.of(vm.pid()).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        vms.close();
    }

    @Test
    void snapshotsAreTakenAndMergedWhileTheGuestRuns() throws IOException {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("live", 128 * MiB));
        DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        VirtualDiskInfo s1;
        VirtualDiskInfo s2;
        try (Guest g = Guest.boot(vms, a)) {
            g.write("first", 4);
            s1 = repo.snapshot(disk.id(), "s1", g.live());
            g.write("second", 4);
            s2 = repo.snapshot(disk.id(), "s2", g.live());
            g.write("third", 4);
            assertThat(g.live().chain()).hasSize(3);
            // Offline merging under a running disk is refused; through the VM it works.
            assertError(() -> repo.deleteDisk(s2.id()), StorageErrorCode.IN_USE, "attached read-write on host " + hosts.contextA.hostUuid());
            repo.deleteDisk(s2.id(), g.live()); // the middle: streamed into the disk's image
            assertThat(g.live().chain()).hasSize(2);
            g.verify("first");
            g.verify("second");
            g.verify("third");
            repo.deleteDisk(s1.id(), g.live()); // the base: everything streamed up
            assertThat(g.live().chain()).hasSize(1);
            g.write("fourth", 1);
            g.verify("first");
            g.verify("fourth");
        } finally {
            repo.detach(disk.id());
        }
        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactly(disk.id());
        assertThat(hosts.volumes()).hasSize(1);
        DiskAttachment ro = repo.attach(disk.id(), AccessMode.READ_ONLY);
        assertThat(Images.chain(ro)).doesNotContain("backing file");
        repo.detach(disk.id());
        // And the disk still boots with all its files.
        try (Guest g = Guest.boot(vms, repo.attach(disk.id(), AccessMode.READ_WRITE))) {
            g.verify("second");
            g.verify("fourth");
        } finally {
            repo.detach(disk.id());
        }
    }

    /** A snapshot taken live holds the guest's state at that moment: a clone of it boots with it. */
    @Test
    void aLiveSnapshotBootsAsAClone() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("source", 128 * MiB));
        VirtualDiskInfo s1;
        try (Guest g = Guest.boot(vms, repo.attach(disk.id(), AccessMode.READ_WRITE))) {
            g.write("before", 2);
            s1 = repo.snapshot(disk.id(), "s1", g.live());
            g.write("after", 2);
        } finally {
            repo.detach(disk.id());
        }
        VirtualDiskInfo clone = repo.clone(s1.id(), "clone", CloneMode.LINKED);
        try (Guest g = Guest.boot(vms, repo.attach(clone.id(), AccessMode.READ_WRITE))) {
            g.verify("before");
        } finally {
            repo.detach(clone.id());
        }
    }
}
