package io.atoll.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.atoll.guests.TestGuests;
import io.atoll.host.HostProbe;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.VmSpec;
import io.atoll.vm.QemuCommandLine;
import io.atoll.vm.VmPaths;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * VM start latency: from the agent's API call to the guest's first serial line, against launching
 * the same QEMU command by hand (without {@code -S}, which the agent adds to connect QMP before the
 * guest runs). Medians over several interleaved runs. Then the agent's resident memory with ten
 * counter guests running.
 */
final class VmStartBench implements Main.Bench {
    private static final String FIRST_LINE = "ATOLL-COUNTER BOOT";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Override
    public String run(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        Path root = Files.createTempDirectory(Path.of("/tmp"), "atoll-bench-");
        List<String> created = new ArrayList<>();
        Agent agent = new Agent(root);
        try {
            Path disk = root.resolve("counter.img");
            Files.copy(TestGuests.counterImage(), disk);
            VmSpec spec = new VmSpec(UUID.randomUUID(), "bench-start", 1, 32, null,
                    List.of(DiskSpec.file("disk0", disk.toString(), "raw", 0)), List.of(), Accelerator.AUTO, null);
            agent.call("POST", "/api/v1/vms", spec);
            created.add(spec.uuid().toString());
            Path agentLog = root.resolve("state").resolve(spec.uuid().toString()).resolve("console.log");

            Accelerator accel = new HostProbe().resolve(Accelerator.AUTO);
            VmPaths rawPaths = new VmPaths(root.resolve("raw-run"), root.resolve("raw-state"));
            List<String> raw = new ArrayList<>(QemuCommandLine.build("qemu-system-x86_64", spec, accel, rawPaths, false));
            raw.remove("-S");
            System.out.println("raw command: " + String.join(" ", raw));

            List<Double> agentMs = new ArrayList<>();
            List<Double> rawMs = new ArrayList<>();
            int warmUp = 3; // the agent is a long-running JVM: measure it warmed up, as it runs in production
            for (int i = 1 - warmUp; i <= runs; i++) { // runs below 1 warm both paths up and are not counted
                long offset = Files.exists(agentLog) ? Files.size(agentLog) : 0;
                long t0 = System.nanoTime();
                agent.call("POST", "/api/v1/vms/" + spec.uuid() + "/start", null);
                double answered = (System.nanoTime() - t0) / 1e6;
                awaitLine(agentLog, offset);
                double a = (System.nanoTime() - t0) / 1e6;
                agent.call("POST", "/api/v1/vms/" + spec.uuid() + "/shutdown", Map.of("force", true));

                Files.createDirectories(rawPaths.runDir());
                Files.createDirectories(rawPaths.stateDir());
                Files.deleteIfExists(rawPaths.consoleLog());
                t0 = System.nanoTime();
                Process p = new ProcessBuilder(raw).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                awaitLine(rawPaths.consoleLog(), 0);
                double r = (System.nanoTime() - t0) / 1e6;
                p.waitFor();
                long pid = Long.parseLong(Files.readString(rawPaths.pidFile()).trim());
                ProcessHandle.of(pid).ifPresent(h -> {
                    h.destroyForcibly();
                    h.onExit().join();
                });
                deleteTree(rawPaths.runDir());
                if (i > 0) {
                    agentMs.add(a);
                    rawMs.add(r);
                }
                System.out.printf("run %d: agent %.1f ms (API answered after %.1f ms), raw qemu %.1f ms%s%n", i, a, answered, r,
                        i < 1 ? " (warm-up)" : "");
            }
            double agentMedian = median(agentMs);
            double rawMedian = median(rawMs);
            double ratio = agentMedian / rawMedian;
            System.out.printf("median start to first serial line: agent %.1f ms, raw qemu %.1f ms, ratio %.3f%n",
                    agentMedian, rawMedian, ratio);

            long idleRss = agent.rssMiB();
            for (int i = 0; i < 10; i++) {
                Path d = root.resolve("guest" + i + ".img");
                Files.copy(TestGuests.counterImage(), d);
                VmSpec g = new VmSpec(UUID.randomUUID(), "bench-guest-" + i, 1, 32, null,
                        List.of(DiskSpec.file("disk0", d.toString(), "raw", 0)), List.of(), Accelerator.AUTO, null);
                agent.call("POST", "/api/v1/vms", g);
                created.add(g.uuid().toString());
                agent.call("POST", "/api/v1/vms/" + g.uuid() + "/start", null);
            }
            JsonNode vms = agent.call("GET", "/api/v1/vms", null);
            long running = 0;
            for (JsonNode vm : vms) {
                if ("RUNNING".equals(vm.path("powerState").asText())) {
                    running++;
                }
            }
            Thread.sleep(2000); // let the agent settle with its ten QMP connections before reading its footprint
            long rss = agent.rssMiB();
            System.out.printf("agent resident memory: %d MiB idle, %d MiB with %d counter guests running%n", idleRss, rss, running);
            return String.format("ratio=%.3f agent_ms=%.1f raw_ms=%.1f agent_rss_mib=%d guests=%d goal=ratio<=1.10",
                    ratio, agentMedian, rawMedian, rss, running);
        } finally {
            // Stop what was started even when a measurement failed: no guest outlives the run.
            for (String uuid : created) {
                try {
                    JsonNode vm = agent.call("GET", "/api/v1/vms/" + uuid, null);
                    if (!vm.path("pid").isNull()) {
                        agent.call("POST", "/api/v1/vms/" + uuid + "/shutdown", Map.of("force", true));
                    }
                    agent.call("DELETE", "/api/v1/vms/" + uuid, null);
                } catch (Exception e) {
                    System.err.println("cleaning up vm " + uuid + ": " + e.getMessage());
                }
            }
            agent.close();
            Files.readAllLines(root.resolve("agent.log")).stream().filter(l -> l.contains("qemu started")).reduce((a, b) -> b)
                    .ifPresent(l -> System.out.println("agent's phases of its last start: " + l.substring(l.indexOf("accelerator"))));
            deleteTree(root);
        }
    }

    private static void awaitLine(Path log, long offset) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            if (Files.exists(log) && Files.size(log) > offset) {
                try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
                    f.seek(offset);
                    byte[] buf = new byte[(int) (f.length() - offset)];
                    f.readFully(buf);
                    if (new String(buf, StandardCharsets.ISO_8859_1).contains(FIRST_LINE)) {
                        return;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no '" + FIRST_LINE + "' in " + log + " within " + WAIT.toSeconds() + " s");
            }
            Thread.sleep(1);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
