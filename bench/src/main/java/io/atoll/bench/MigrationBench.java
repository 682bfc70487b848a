package io.atoll.bench;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.host.HostProbe;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.IncomingInfo;
import io.atoll.node.api.IncomingRequest;
import io.atoll.node.api.MigrationProgress;
import io.atoll.node.api.MigrationRequest;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import io.atoll.qmp.QmpClient;
import io.atoll.qmp.QmpCommand;
import io.atoll.vm.NodeConfig;
import io.atoll.vm.QemuCommandLine;
import io.atoll.vm.VmManager;
import io.atoll.vm.VmPaths;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Live migration of the Linux test guest (256 MiB) between two hosts of this machine over TCP on
 * loopback: Atoll's migration (two VM runtimes, the target waiting, the source sending) against a
 * raw QMP {@code migrate} between two QEMU processes started by hand with the same command line;
 * then Atoll's downtime with the guest rewriting memory without pause.
 */
final class MigrationBench implements Main.Bench {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Duration T = Duration.ofSeconds(10);

    @Override
    public String run(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path root = Files.createTempDirectory(Path.of("/tmp"), "atoll-bench-mig-");
        VmManager a = host(root, "a");
        VmManager b = host(root, "b");
        VmSpec spec = new VmSpec(UUID.randomUUID(), "bench-migration", 1, 256,
                new BootSpec(TestGuests.linuxKernel().toString(), TestGuests.linuxInitrd().toString(), TestGuests.linuxCmdline()),
                List.of(), List.of(), Accelerator.AUTO, null);
        try {
            a.create(spec);
            a.start(spec.uuid());
            console(a, spec).await(l -> l.startsWith("ATOLL-GUEST READY"), WAIT, "READY");

            List<Double> atoll = new ArrayList<>();
            List<Double> raw = new ArrayList<>();
            VmManager from = a;
            VmManager to = b;
            for (int i = 0; i <= runs; i++) { // run 0 warms up
                double at = migrate(from, to, spec, new MigrationRequest("tcp:127.0.0.1:1")).wallMs;
                VmManager t = from;
                from = to;
                to = t;
                double rw = rawMigration(root, spec);
                if (i > 0) {
                    atoll.add(at);
                    raw.add(rw);
                }
                System.out.printf("run %d: atoll %.1f ms, raw qemu %.1f ms%s%n", i, at, rw, i == 0 ? " (warm-up)" : "");
            }
            double ratio = median(atoll) / median(raw);
            System.out.printf("idle guest, migration start to guest running on the target (median): atoll %.1f ms, raw %.1f ms, ratio %.3f%n",
                    median(atoll), median(raw), ratio);

            // The guest rewrites 64 MiB of RAM without pause while it migrates.
            console(from, spec).command("dirty 64", "ATOLL-GUEST DIRTY", Duration.ofMinutes(3)); // random data from urandom: slow under TCG
            Thread.sleep(2000);
            Result dirty = migrate(from, to, spec, new MigrationRequest("tcp:127.0.0.1:1"));
            from = to;
            MigrationProgress p = dirty.progress;
            System.out.printf("guest dirtying memory (%.0f MB/s seen by QEMU): downtime %d ms (limit %d ms), total %d ms, %d MiB sent%n",
                    dirty.maxDirtyRate / 1e6, p.downtimeMs(), p.downtimeLimitMs(), p.totalTimeMs(), p.transferredBytes() >> 20);
            console(from, spec).command("dirty 0", "ATOLL-GUEST DIRTY", T);
            return String.format("ratio=%.3f atoll_ms=%.1f raw_ms=%.1f downtime_ms=%d dirty_mb_s=%.0f goal=ratio<=1.05,downtime_ms<=100",
                    ratio, median(atoll), median(raw), p.downtimeMs(), dirty.maxDirtyRate / 1e6);
        } finally {
            for (VmManager m : List.of(a, b)) {
                for (var vm : m.list()) {
                    if (vm.pid() != null) {
                        m.shutdown(vm.uuid(), new ShutdownRequest(true, null));
                    }
                }
                m.close();
            }
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private record Result(double wallMs, MigrationProgress progress, double maxDirtyRate) {
    }

    /** Atoll: the target waits, the source sends; timed until the guest runs on the target. */
    private static Result migrate(VmManager from, VmManager to, VmSpec spec, MigrationRequest template) throws Exception {
        IncomingInfo in = to.receive(new IncomingRequest(spec, "127.0.0.1"));
        MigrationRequest request = new MigrationRequest(in.uri(), template.downtimeLimitMs(), template.maxDowntimeMs(),
                template.bandwidthMiBps(), template.autoConverge(), template.xbzrle());
        double[] maxDirty = {0};
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    maxDirty[0] = Math.max(maxDirty[0], from.migrationProgress(spec.uuid()).dirtyBytesPerSecond());
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException notYet) {
                    Thread.onSpinWait();
                }
            }
        });
        long t0 = System.nanoTime();
        sampler.start();
        from.migrate(spec.uuid(), request);
        while (to.get(spec.uuid()).powerState() != VmPowerState.RUNNING || to.get(spec.uuid()).currentOperation() != null) {
            Thread.onSpinWait();
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        sampler.interrupt();
        sampler.join();
        return new Result(ms, from.migrationProgress(spec.uuid()), maxDirty[0]);
    }

    /** Raw QEMU: the same command line started by hand twice, a QMP migrate, timed until the target runs. */
    private static double rawMigration(Path root, VmSpec spec) throws Exception {
        Accelerator accel = new HostProbe().resolve(Accelerator.AUTO);
        VmPaths src = paths(root, "raw-src");
        VmPaths dst = paths(root, "raw-dst");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> srcCmd = new ArrayList<>(QemuCommandLine.build("qemu-system-x86_64", spec, accel, src, false));
        srcCmd.remove("-S");
        List<String> dstCmd = new ArrayList<>(QemuCommandLine.build("qemu-system-x86_64", spec, accel, dst, false));
        dstCmd.remove("-S");
        dstCmd.addAll(List.of("-incoming", "tcp:127.0.0.1:" + port));
        List<Long> pids = new ArrayList<>();
        try {
            pids.add(launch(srcCmd, src));
            pids.add(launch(dstCmd, dst));
            new GuestConsole(src.consoleLog(), null).await(l -> l.startsWith("ATOLL-GUEST READY"), WAIT, "READY");
            try (QmpClient s = QmpClient.connect(src.qmpSocket(), "raw-src", T);
                 QmpClient d = QmpClient.connect(dst.qmpSocket(), "raw-dst", T)) {
                s.execute(new QmpCommand.MigrateSetCapabilities(Map.of("events", true, "auto-converge", true)), T);
                s.execute(new QmpCommand.MigrateSetParameters(Map.of("downtime-limit", 100, "max-bandwidth", (long) Integer.MAX_VALUE * 8)), T);
                long t0 = System.nanoTime();
                s.execute(new QmpCommand.Migrate("tcp:127.0.0.1:" + port), T);
                while (!d.execute(new QmpCommand.QueryStatus(), T).running()) {
                    Thread.onSpinWait();
                }
                return (System.nanoTime() - t0) / 1e6;
            }
        } finally {
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(h -> {
                    h.destroyForcibly();
                    h.onExit().join();
                });
            }
        }
    }

    private static long launch(List<String> cmd, VmPaths paths) throws Exception {
        Files.createDirectories(paths.runDir());
        Files.createDirectories(paths.stateDir());
        Files.deleteIfExists(paths.consoleLog());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("qemu did not start: " + cmd);
        }
        return Long.parseLong(Files.readString(paths.pidFile()).trim());
    }

    private static VmPaths paths(Path root, String name) {
        return new VmPaths(root.resolve(name + "-run"), root.resolve(name + "-state"));
    }

    private static VmManager host(Path root, String name) {
        return new VmManager(new NodeConfig(root.resolve(name + "/state"), root.resolve(name + "/run"), null, Duration.ofSeconds(30),
                Duration.ofSeconds(30), 256), new HostProbe());
    }

    private static GuestConsole console(VmManager m, VmSpec spec) {
        var p = m.paths(spec.uuid());
        return new GuestConsole(p.consoleLog(), p.serialSocket());
    }

    private static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
