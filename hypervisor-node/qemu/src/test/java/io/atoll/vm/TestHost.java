package io.atoll.vm;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.host.HostProbe;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A host for integration tests: a {@link VmManager} over a fresh temporary tree, with helpers
 * that define the test guests. {@link #close()} stops every QEMU it started and fails when one
 * survives.
 */
final class TestHost implements AutoCloseable {
    final Path root;
    final NodeConfig config;
    VmManager manager;

    TestHost() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-it-");
        config = new NodeConfig(root.resolve("state"), root.resolve("run"), null, Duration.ofSeconds(20),
                Duration.ofSeconds(30), 256);
        manager = new VmManager(config, new HostProbe());
    }

    /** A manager that forgets this one's connections, as a restarted agent would. */
    VmManager restartManager() {
        manager.close();
        manager = new VmManager(config, new HostProbe());
        return manager;
    }

    VmSpec counterSpec(String name) throws IOException {
        Path disk = root.resolve(name + ".img");
        Files.copy(TestGuests.counterImage(), disk);
        return new VmSpec(null, name, 1, 32, null, List.of(DiskSpec.file("disk0", disk.toString(), "raw", 0)),
                List.of(), Accelerator.AUTO, null);
    }

    VmSpec linuxSpec(String name, boolean withDisk) {
        List<DiskSpec> disks = new ArrayList<>();
        if (withDisk) {
            Path disk = TestGuests.createBlankDisk(root.resolve(name + ".qcow2"), 64);
            disks.add(DiskSpec.file("disk0", disk.toString(), "qcow2", null));
        }
        return new VmSpec(null, name, 1, 256, new BootSpec(TestGuests.linuxKernel().toString(),
                TestGuests.linuxInitrd().toString(), TestGuests.linuxCmdline()), disks, List.of(), Accelerator.AUTO, null);
    }

    VmInfo createAndStart(VmSpec spec) {
        manager.create(spec);
        return manager.start(spec.uuid());
    }

    GuestConsole console(UUID uuid) {
        VmPaths paths = manager.paths(uuid);
        return new GuestConsole(paths.consoleLog(), paths.serialSocket());
    }

    /** QEMU processes started from this tree, found through /proc. */
    List<Long> qemuProcesses() {
        List<Long> out = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    long pid = Long.parseLong(p.getFileName().toString());
                    if (cmd.contains(config.runDir().toString()) && Processes.isAlive(pid)) {
                        out.add(pid);
                    }
                } catch (IOException ignored) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    @Override
    public void close() {
        for (VmInfo vm : manager.list()) {
            if (vm.pid() != null) {
                try {
                    manager.shutdown(vm.uuid(), new ShutdownRequest(true, null));
                } catch (RuntimeException e) {
                    Processes.kill(vm.pid());
                }
            }
        }
        manager.close();
        List<Long> left = qemuProcesses();
        left.forEach(Processes::kill);
        Processes.deleteTree(root);
        if (!left.isEmpty()) {
            throw new AssertionError("QEMU processes were left running: " + left);
        }
    }

    static boolean isState(VmInfo vm, VmPowerState state) {
        return vm.powerState() == state;
    }
}
