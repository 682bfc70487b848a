package io.atoll.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.atoll.bench.sim.SimulatedAgentFarm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pool master at scale: the packaged master (embedded H2) with a pool of simulated hosts
 * ({@link SimulatedAgentFarm}, 256 GiB each, VMs in memory, no QEMU) — join them, create and
 * start the VMs, then the latency of listing all VMs and of reading one, the throughput of
 * concurrent stop/start tasks, and the master's heap after a full GC. See docs/bench-pool-scale.md.
 *
 * <p>{@code bench/run pool-scale [--hosts 100] [--vms 3000] [--samples 200] [--churn 500]
 * [--in-flight 32] [--op-delay-ms 0] [--jfr FILE] [--master-log FILE] [--master-property KEY=VALUE]…}
 */
final class PoolScaleBench implements Main.Bench {
    /** VM sizes, in turn: 6.2 GiB on average, so 30 VMs a host fill ~73 % of its 256 GiB and placement has to spread them. */
    private static final long[] VM_MIB = {1024, 2048, 4096, 8192, 16384};
    private static final Duration TASK_BOUND = Duration.ofMinutes(10);

    private record Options(int hosts, int vms, int samples, int churn, int inFlight, int opDelayMs, Path jfr, Path masterLog,
                           List<String> masterProperties) {
        static Options parse(String[] args) {
            Map<String, String> given = new TreeMap<>();
            List<String> properties = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("pool-scale takes --hosts N --vms M --samples S --churn C --in-flight F"
                            + " --op-delay-ms D --jfr FILE --master-log FILE --master-property KEY=VALUE; got '" + args[i] + "'");
                }
                if (args[i].equals("--master-property")) {
                    if (!args[i + 1].matches("[\\w.\"-]+=.*")) {
                        throw new IllegalArgumentException("--master-property takes KEY=VALUE, e.g. atoll.master.task-workers=32");
                    }
                    properties.add(args[++i]);
                    continue;
                }
                given.put(args[i].substring(2), args[++i]);
            }
            Options o = new Options(Integer.parseInt(given.getOrDefault("hosts", "100")), Integer.parseInt(given.getOrDefault("vms", "3000")),
                    Integer.parseInt(given.getOrDefault("samples", "200")), Integer.parseInt(given.getOrDefault("churn", "500")),
                    Integer.parseInt(given.getOrDefault("in-flight", "32")), Integer.parseInt(given.getOrDefault("op-delay-ms", "0")),
                    given.containsKey("jfr") ? Path.of(given.get("jfr")) : null,
                    given.containsKey("master-log") ? Path.of(given.get("master-log")) : null, List.copyOf(properties));
            given.keySet().removeAll(List.of("hosts", "vms", "samples", "churn", "in-flight", "op-delay-ms", "jfr", "master-log"));
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("pool-scale does not know " + given.keySet());
            }
            if (o.hosts < 1 || o.vms < 1 || o.samples < 1 || o.churn < 0 || o.inFlight < 1 || o.opDelayMs < 0) {
                throw new IllegalArgumentException("pool-scale: every count must be positive");
            }
            return o;
        }
    }

    @Override
    public String run(String[] args) throws Exception {
        Options o = Options.parse(args);
        String jar = System.getProperty("atoll.master.jar", "pool-master/server/target/quarkus-app/quarkus-run.jar");
        Path root = Files.createTempDirectory(Path.of("/tmp"), "atoll-bench-pool-");
        ExecutorService clients = Executors.newFixedThreadPool(o.inFlight);
        System.out.printf("pool-scale: %d simulated hosts (256 GiB each), %d VMs, %d requests in flight; load average %s%n", o.hosts,
                o.vms, o.inFlight, loadAverage());
        try (SimulatedAgentFarm farm = SimulatedAgentFarm.start(new SimulatedAgentFarm.Options(o.hosts, SimulatedAgentFarm.DEFAULT_HOST_MEMORY,
                SimulatedAgentFarm.DEFAULT_RESERVE, Duration.ofMillis(o.opDelayMs), 16));
             MasterProcess master = new MasterProcess(Path.of(jar), root, o.jfr, o.masterProperties)) {
            if (!o.masterProperties.isEmpty()) {
                System.out.println("master started with " + o.masterProperties);
            }
            MasterApi api = new MasterApi(master.base);
            api.login("admin", master.adminPassword());

            long t0 = System.nanoTime();
            parallel(clients, farm.endpoints(), e -> api.call("POST", "/api/v1/hosts", Map.of("agentUrl", e.agentUrl(), "agentToken",
                    e.agentToken()), 201));
            double joinS = seconds(t0);
            System.out.printf("joined %d hosts in %.1f s (%.0f hosts/s)%n", o.hosts, joinS, o.hosts / joinS);

            List<Integer> indexes = new ArrayList<>();
            for (int i = 0; i < o.vms; i++) {
                indexes.add(i);
            }
            List<String> uuids = Collections.synchronizedList(new ArrayList<>());
            t0 = System.nanoTime();
            parallel(clients, indexes, i -> {
                String name = String.format("bench-vm-%06d", i);
                uuids.add(api.call("POST", "/api/v1/vms", Map.of("name", name, "vcpus", 1, "memoryMiB", VM_MIB[i % VM_MIB.length],
                        "disks", List.of(Map.of("path", "/srv/atoll-sim/" + name + ".qcow2")), "nics", List.of(Map.of())), 201)
                        .path("uuid").asText());
                return null;
            });
            double createS = seconds(t0);
            System.out.printf("created %d VMs in %.1f s (%.0f VMs/s)%n", o.vms, createS, o.vms / createS);

            Outcomes starts = new Outcomes();
            t0 = System.nanoTime();
            parallel(clients, uuids, vm -> starts.add(operate(api, vm, "start", Map.of())));
            double startS = seconds(t0);
            System.out.printf("started %d VMs in %.1f s (%.1f tasks/s): %s%n", o.vms, startS, o.vms / startS, starts);

            // Reads: warm up, then sequential samples, the host poller and the follower running as in production.
            List<String> running = runningVms(api);
            System.out.printf("running VMs: %d of %d%n", running.size(), o.vms);
            Random random = new Random(42);
            for (int i = 0; i < Math.max(5, o.samples / 10); i++) {
                api.timedGet("/api/v1/vms");
                api.timedGet("/api/v1/vms/" + uuids.get(random.nextInt(uuids.size())));
            }
            // The master's CPU while idle (its host poller), then per read with that share taken out.
            double cpu0 = master.cpuSeconds();
            long idle0 = System.nanoTime();
            Thread.sleep(15_000);
            double idleCpuPerS = (master.cpuSeconds() - cpu0) / seconds(idle0);
            System.out.printf("master idle (host poller only): %.0f %% of one CPU%n", idleCpuPerS * 100);
            List<Double> list = new ArrayList<>();
            cpu0 = master.cpuSeconds();
            long w0 = System.nanoTime();
            for (int i = 0; i < o.samples; i++) {
                list.add(api.timedGet("/api/v1/vms"));
            }
            double listCpuMs = (master.cpuSeconds() - cpu0 - idleCpuPerS * seconds(w0)) * 1000 / o.samples;
            List<Double> get = new ArrayList<>();
            cpu0 = master.cpuSeconds();
            w0 = System.nanoTime();
            for (int i = 0; i < o.samples; i++) {
                get.add(api.timedGet("/api/v1/vms/" + uuids.get(random.nextInt(uuids.size()))));
            }
            double getCpuMs = (master.cpuSeconds() - cpu0 - idleCpuPerS * seconds(w0)) * 1000 / o.samples;
            // A page of 100 VMs after a random name (?limit&after): what a console or integrator reads at a time.
            List<Double> page = new ArrayList<>();
            for (int i = 0; i < o.samples; i++) {
                page.add(api.timedGet("/api/v1/vms?limit=100&after=" + String.format("bench-vm-%06d", random.nextInt(o.vms))));
            }
            api.timedGet("/api/v1/vms");
            System.out.printf("GET /api/v1/vms (%d VMs, %d KiB of JSON), %d samples: p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
                    + " master CPU %.1f ms a list%n", o.vms, api.lastBytes >> 10, o.samples, pct(list, 50), pct(list, 99), pct(list, 100),
                    listCpuMs);
            System.out.printf("GET /api/v1/vms/{uuid}, %d samples: p50 %.2f ms, p99 %.2f ms, max %.2f ms; master CPU %.2f ms a read%n",
                    o.samples, pct(get, 50), pct(get, 99), pct(get, 100), getCpuMs);
            System.out.printf("GET /api/v1/vms?limit=100&after=NAME, %d samples: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    o.samples, pct(page, 50), pct(page, 99), pct(page, 100));

            // Churn: stop, then start again, a random set of running VMs, concurrently.
            List<String> churn = new ArrayList<>(running);
            Collections.shuffle(churn, random);
            churn = churn.subList(0, Math.min(o.churn, churn.size()));
            double tasksPerS = 0;
            if (!churn.isEmpty()) {
                Outcomes stops = new Outcomes();
                Outcomes restarts = new Outcomes();
                t0 = System.nanoTime();
                parallel(clients, churn, vm -> stops.add(operate(api, vm, "shutdown", Map.of("force", false))));
                double stopS = seconds(t0);
                long t1 = System.nanoTime();
                parallel(clients, churn, vm -> restarts.add(operate(api, vm, "start", Map.of())));
                double restartS = seconds(t1);
                tasksPerS = 2.0 * churn.size() / seconds(t0);
                System.out.printf("churn of %d VMs: stop %.1f s (%.1f tasks/s) %s; start %.1f s (%.1f tasks/s) %s; %.1f tasks/s overall%n",
                        churn.size(), stopS, churn.size() / stopS, stops, restartS, churn.size() / restartS, restarts, tasksPerS);
            }

            long[] heap = master.heapAfterGcMiB();
            long rss = master.rssMiB();
            System.out.printf("master after the run: heap %d MiB used after a full GC (%d MiB committed), resident %d MiB%n",
                    heap[0], heap[1], rss);
            List<Double> polls = farm.pollIntervalsMs();
            if (!polls.isEmpty()) {
                System.out.printf("host poller: %d polls; interval between two polls of a host p50 %.0f ms, p99 %.0f ms, max %.0f ms"
                        + " (configured 5000 ms)%n", polls.size() + o.hosts, pct(polls, 50), pct(polls, 99), pct(polls, 100));
            } else {
                System.out.println("host poller: no host was polled twice");
            }
            System.out.println("agent requests served: " + farm.requestCounts());
            System.out.printf("master log: %d WARN lines, %d ERROR lines; load average %s%n", master.logLines(" WARN "),
                    master.logLines(" ERROR "), loadAverage());
            if (o.masterLog != null) {
                Files.copy(root.resolve("master.log"), o.masterLog, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                System.out.println("master log kept in " + o.masterLog.toAbsolutePath());
            }
            System.out.printf("scale: hosts=%d vms=%d list_cpu_ms=%.1f get_cpu_ms=%.2f rss_mib=%d%n", o.hosts, o.vms, listCpuMs, getCpuMs, rss);
            return String.format("list_p99_ms=%.1f list_p50_ms=%.1f get_p99_ms=%.2f get_p50_ms=%.2f page_p99_ms=%.2f start_stop_tasks_per_s=%.1f"
                    + " heap_mib=%d goal=list_p99_ms<100", pct(list, 99), pct(list, 50), pct(get, 99), pct(get, 50), pct(page, 99), tasksPerS,
                    heap[0]);
        } finally {
            clients.shutdownNow();
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Asks for an operation and waits for its task; answers SUCCESS or the task's error code. */
    private static String operate(MasterApi api, String vm, String operation, Object body) throws Exception {
        JsonNode task = api.call("POST", "/api/v1/vms/" + vm + "/" + operation, body, 202);
        String uuid = task.path("uuid").asText();
        long deadline = System.nanoTime() + TASK_BOUND.toNanos();
        long pause = 10;
        while (true) {
            String status = task.path("status").asText();
            if (!status.equals("PENDING") && !status.equals("RUNNING")) {
                return status.equals("SUCCESS") ? status : status + " " + task.path("error").path("code").asText();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("task " + uuid + " (" + operation + " vm " + vm + ") did not end within "
                        + TASK_BOUND.toMinutes() + " min");
            }
            Thread.sleep(pause);
            pause = Math.min(200, pause * 2);
            task = api.call("GET", "/api/v1/tasks/" + uuid, null, 200);
        }
    }

    private static List<String> runningVms(MasterApi api) throws Exception {
        List<String> running = new ArrayList<>();
        for (JsonNode vm : api.call("GET", "/api/v1/vms", null, 200)) {
            if ("RUNNING".equals(vm.path("powerState").asText())) {
                running.add(vm.path("uuid").asText());
            }
        }
        return running;
    }

    /** How the tasks of a phase ended: SUCCESS, or FAILURE with the error code, counted. */
    private static final class Outcomes {
        private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

        Void add(String outcome) {
            counts.computeIfAbsent(outcome, k -> new LongAdder()).increment();
            return null;
        }

        @Override
        public String toString() {
            Map<String, Long> sorted = new TreeMap<>();
            counts.forEach((k, v) -> sorted.put(k, v.sum()));
            return sorted.toString();
        }
    }

    private interface Job<T> {
        Object run(T item) throws Exception;
    }

    /** Runs {@code job} on every item, as many at once as the pool has threads; the first failure fails the phase. */
    private static <T> void parallel(ExecutorService pool, List<T> items, Job<T> job) throws Exception {
        List<Future<Object>> futures = new ArrayList<>();
        for (T item : List.copyOf(items)) {
            futures.add(pool.submit(() -> job.run(item)));
        }
        for (Future<Object> f : futures) {
            f.get();
        }
    }

    /** The machine's load (1, 5, 15 min): these figures are only comparable at a similar load. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** The nearest-rank percentile ({@code p} = 100: the maximum). */
    private static double pct(List<Double> values, double p) {
        List<Double> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(p / 100 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
