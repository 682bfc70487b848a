package io.atoll.storage.lvm;

import io.atoll.storage.qcow2.Json;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A volume group as a repository: its life, what two hosts see of it, and QEMU opening its chains. */
class LvmRepositoryIT extends LvmTestBase {

    @Test
    void aRepositoryIsCreatedProbedAttachedDetachedAndDestroyed() {
        assertThat(hosts.a.accessPath()).startsWith("extent windows on the physical volume (no device-mapper");
        SrInfo info = repo.info();
        assertThat(info.uuid()).isEqualTo(hosts.config.uuid());
        assertThat(info.shared()).isTrue();
        assertThat(info.physicalSize()).isBetween(GiB, 2 * GiB);
        assertThat(repo.scan()).isEmpty();

        // The device holds one repository: creating again is refused, whatever the uuid.
        assertError(() -> hosts.a.create(hosts.config), StorageErrorCode.ALREADY_EXISTS, hosts.config.uuid());
        SrConfig other = new SrConfig(UUID.randomUUID().toString(), "other", "lvm", Map.of("device", hosts.lun.device()));
        assertError(() -> hosts.a.create(other), StorageErrorCode.ALREADY_EXISTS);
        assertError(() -> hosts.a.attach(other), StorageErrorCode.NOT_FOUND, other.uuid());

        // Probe finds it by its tags, from either host.
        assertThat(hosts.b.probe(hosts.config)).singleElement().satisfies(p -> {
            assertThat(p.uuid()).isEqualTo(hosts.config.uuid());
            assertThat(p.name()).isEqualTo(hosts.config.name());
        });

        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("survivor", 16 * MiB, Map.of("owner", "web 1/ä")));
        assertThat(hosts.a.attach(hosts.config)).isSameAs(repo);
        repo.detach();
        repo = hosts.a.attach(hosts.config);
        assertThat(repo.scan()).containsExactly(disk);
        assertThat(repo.info().virtualAllocation()).isEqualTo(16 * MiB);

        repo.detach();
        hosts.a.destroy(hosts.config);
        assertThat(hosts.a.probe(hosts.config)).isEmpty();
        assertThat(hosts.lun.lvm().pv()).as("the device is no physical volume any more").isEmpty();
        assertError(() -> hosts.a.attach(hosts.config), StorageErrorCode.NOT_FOUND);
        // And the device can hold a new repository.
        hosts.a.create(hosts.config);
        repo = hosts.a.attach(hosts.config);
        assertThat(repo.scan()).isEmpty();
    }

    @Test
    void badDeviceConfigsAreRefused() {
        SrConfig missing = new SrConfig(UUID.randomUUID().toString(), "x", "lvm", Map.of());
        assertError(() -> hosts.a.create(missing), StorageErrorCode.INVALID_ARGUMENT, "device", "required");
        SrConfig quote = new SrConfig(UUID.randomUUID().toString(), "x", "lvm", Map.of("device", "/dev/loop0\" r|.*|"));
        assertError(() -> hosts.a.create(quote), StorageErrorCode.INVALID_ARGUMENT, "not allowed");
        SrConfig gone = new SrConfig(UUID.randomUUID().toString(), "x", "lvm", Map.of("device", "/dev/no-such-lun"));
        assertError(() -> hosts.a.create(gone), StorageErrorCode.UNAVAILABLE, "/dev/no-such-lun");
        SrConfig file = new SrConfig(UUID.randomUUID().toString(), "x", "lvm", Map.of("device", "/etc/hostname"));
        assertError(() -> hosts.a.create(file), StorageErrorCode.INVALID_ARGUMENT, "not a block device");
    }

    /** Read-write on one host at a time, recorded in the volume's tags where every host sees it. */
    @Test
    void aDiskIsReadWriteOnOneHostOnly() {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("exclusive", 16 * MiB));
        StorageRepository onB = hosts.b.attach(hosts.config);
        assertThat(onB.scan()).containsExactly(disk);

        DiskAttachment rw = repo.attach(disk.id(), AccessMode.READ_WRITE);
        Images.io(rw, "write -P 0x33 0 1M");
        assertError(() -> onB.attach(disk.id(), AccessMode.READ_WRITE), StorageErrorCode.IN_USE, hosts.contextA.hostUuid());
        assertError(() -> onB.deleteDisk(disk.id()), StorageErrorCode.IN_USE, hosts.contextA.hostUuid());
        assertError(() -> onB.resize(disk.id(), 32 * MiB), StorageErrorCode.IN_USE);
        assertError(() -> onB.snapshot(disk.id(), "from b"), StorageErrorCode.IN_USE, hosts.contextA.hostUuid());
        assertError(() -> repo.detach(), StorageErrorCode.IN_USE, disk.id());
        // Reading elsewhere is allowed.
        DiskAttachment ro = onB.attach(disk.id(), AccessMode.READ_ONLY);
        assertThat(ro.readOnly()).isTrue();
        Images.io(ro, "read -P 0x33 0 1M");
        onB.detach(disk.id());

        repo.detach(disk.id());
        repo.detach(disk.id()); // idempotent
        DiskAttachment onHostB = onB.attach(disk.id(), AccessMode.READ_WRITE);
        Images.io(onHostB, "read -P 0x33 0 1M");
        assertError(() -> repo.attach(disk.id(), AccessMode.READ_WRITE), StorageErrorCode.IN_USE, hosts.contextB.hostUuid());
        onB.detach(disk.id());
        onB.detach();
        repo.deleteDisk(disk.id());
    }

    /**
     * The backing references inside images are json: descriptions of extent windows: qemu-img
     * follows them, and QEMU opens the attachment as the host runtime passes it (-blockdev).
     */
    @Test
    void qemuOpensTheChainThroughExtentWindows() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("chained", 32 * MiB));
        write(disk.id(), 0x0a, 0, MiB);
        repo.snapshot(disk.id(), "s1");
        write(disk.id(), 0x0b, MiB, MiB);
        repo.snapshot(disk.id(), "s2");
        write(disk.id(), 0x0c, 2 * MiB, MiB);

        DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        try {
            String chain = Images.chain(a);
            assertThat(chain.split("\nimage: ")).hasSize(3);
            assertThat(chain).contains("backing file: json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"raw\",\"offset\":");
            assertThat(a.protocol()).containsEntry("driver", "raw").containsKeys("offset", "size", "file");

            Map<String, Object> proto = new java.util.LinkedHashMap<>(a.protocol());
            proto.put("node-name", "disk0-file");
            String format = Json.write(Map.of("driver", "qcow2", "node-name", "disk0", "file", "disk0-file"));
            List<String> cmd = List.of("qemu-system-x86_64", "-machine", "none", "-nodefaults", "-display", "none", "-accel", "tcg",
                    "-blockdev", Json.write(proto), "-blockdev", format, "-qmp", "stdio");
            Process qemu = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (Writer in = new OutputStreamWriter(qemu.getOutputStream(), StandardCharsets.UTF_8);
                 BufferedReader out = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8))) {
                in.write("{\"execute\":\"qmp_capabilities\"}\n");
                for (String io : List.of("read -P 0x0a 0 1M", "read -P 0x0b 1M 1M", "read -P 0x0c 2M 1M", "read -P 0 3M 1M")) {
                    in.write("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"qemu-io disk0 \\\"" + io + "\\\"\"}}\n");
                }
                in.write("{\"execute\":\"quit\"}\n");
                in.flush();
                List<String> lines = new ArrayList<>();
                for (String l; (l = out.readLine()) != null; ) {
                    lines.add(l);
                }
                String all = String.join("\n", lines);
                assertThat(qemu.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(all).doesNotContain("Pattern verification failed", "\"error\"");
                assertThat(all.split("read 1048576/1048576 bytes", -1)).as(all).hasSize(5);
            } finally {
                qemu.destroyForcibly();
            }
        } finally {
            repo.detach(disk.id());
        }
    }
}
