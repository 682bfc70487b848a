package io.atoll.storage.tck;

import io.atoll.host.HostProbe;
import io.atoll.node.api.DiskSpec;
import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.QemuSecret;
import io.atoll.vm.NodeConfig;
import io.atoll.vm.VmManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The hosts a TCK run plays: two adapter contexts (host A and host B, for shared storage and
 * exclusive attachment) and a VM runtime on host A, all under one temporary directory.
 */
public final class TckHosts implements AutoCloseable {
    private final Path root;
    final AdapterContext hostA;
    final AdapterContext hostB;
    final VmManager vms;

    public TckHosts() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-tck-");
        hostA = new AdapterContext(UUID.randomUUID().toString(), Files.createDirectories(root.resolve("host-a")), new CommandRunner());
        hostB = new AdapterContext(UUID.randomUUID().toString(), Files.createDirectories(root.resolve("host-b")), new CommandRunner());
        vms = new VmManager(new NodeConfig(root.resolve("vm-state"), root.resolve("vm-run"), null, Duration.ofSeconds(30),
                Duration.ofSeconds(30), 256), new HostProbe());
        Files.createDirectories(root.resolve("scratch"));
    }

    /** The run's temporary directory: adapters may put repositories under it. */
    public Path root() {
        return root;
    }

    /** The VM runtime of host A. */
    public VmManager vms() {
        return vms;
    }

    /** Host A, where the VMs run. */
    public AdapterContext hostA() {
        return hostA;
    }

    Path scratch() {
        return root.resolve("scratch");
    }

    /** The VM disk for an attachment, as the pool master will build it. */
    public static DiskSpec diskSpec(String id, DiskAttachment a, Integer bootIndex) {
        Map<String, String> secrets = new LinkedHashMap<>();
        for (QemuSecret s : a.secrets()) {
            secrets.put(s.id(), s.value());
        }
        return new DiskSpec(id, a.format(), a.protocol(), a.formatOptions(), a.readOnly(), DiskSpec.DiskBus.VIRTIO, bootIndex, secrets);
    }

    @Override
    public void close() throws IOException {
        // only what this run started: VMs of its own runtime
        for (var vm : vms.list()) {
            if (vm.pid() != null) {
                ProcessHandle.of(vm.pid()).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        vms.close();
        try (var files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
