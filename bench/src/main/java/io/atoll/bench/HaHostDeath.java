package io.atoll.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.guests.TestGuests;
import io.atoll.storage.nfs.GaneshaServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The host-death half of {@code ha-failover}: three hosts (node agents, each in its own network
 * namespace on a bridge of the root namespace), nfs-ganesha on the bridge address holding the
 * shared repository and the statefile, the packaged master (embedded H2) with HA enabled at
 * T = 10 s, two protected VMs (the counter guest under TCG, a data disk in the repository). A run
 * kills the agent and the QEMUs of the host that runs the VMs (-9, by pid) and times, for each VM,
 * the moment the master reports it running on another host; the killed agent is then started again
 * and re-admitted before the next run. Everything made is removed, processes ended by pid.
 */
final class HaHostDeath implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private final Path root;
    private final String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    private final int subnet = ThreadLocalRandom.current().nextInt(100, 250);
    private final List<String> namespaces = new ArrayList<>();
    private final List<List<String>> agentCommands = new ArrayList<>();
    private final List<Process> agents = new ArrayList<>();
    private final List<String> hosts = new ArrayList<>();
    private boolean bridgeMade;
    private GaneshaServer nfs;
    private MasterProcess master;
    private String token;

    HaHostDeath(Path root) {
        this.root = root;
    }

    private String gateway() {
        return "10.66." + subnet + ".1";
    }

    private String address(int host) {
        return "10.66." + subnet + "." + (10 + host);
    }

    /** Runs {@code runs} host deaths; answers each VM's restart time in seconds. */
    List<Double> run(int runs, Duration t) throws Exception {
        setUp(t);
        String sr = call("POST", "/api/v1/srs", Map.of("name", "ha-bench", "type", "nfs", "deviceConfig",
                Map.of("server", gateway(), "export", nfs.exportPath(), "path", "ha-bench")), 201).path("uuid").asText();
        call("PUT", "/api/v1/pool/ha", Map.of("enabled", true, "statefileSr", sr, "hostFailuresToTolerate", 1), 200);
        awaitAlive(hosts, Duration.ofSeconds(60));
        List<String> vms = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path boot = root.resolve("guest-" + i + ".img");
            Files.copy(TestGuests.counterImage(), boot);
            String vm = call("POST", "/api/v1/vms", JSON.readTree("""
                    {"name": "ha-bench-%d", "memoryMiB": 32, "accelerator": "TCG",
                     "disks": [{"path": "%s", "format": "raw", "bootIndex": 0}, {"sr": "%s", "sizeBytes": 16777216}]}
                    """.formatted(i, boot, sr)), 201).path("uuid").asText();
            call("PUT", "/api/v1/vms/" + vm + "/ha", Map.of("restartPriority", "restart", "restartOrder", i), 200);
            task(call("POST", "/api/v1/vms/" + vm + "/start", Map.of("host", hosts.get(0)), 202).path("uuid").asText());
            vms.add(vm);
        }
        List<Double> times = new ArrayList<>();
        for (int r = 1; r <= runs; r++) {
            String victim = call("GET", "/api/v1/vms/" + vms.get(0), null, 200).path("residentOn").asText();
            int h = hosts.indexOf(victim);
            long died = System.nanoTime();
            agents.get(h).destroyForcibly();
            for (ProcessHandle q : qemusUnder(root.resolve("host" + h))) {
                q.destroyForcibly();
            }
            agents.get(h).waitFor(10, TimeUnit.SECONDS);
            List<Double> run = new ArrayList<>();
            for (String vm : vms) {
                String was = call("GET", "/api/v1/vms/" + vm, null, 200).path("residentOn").asText();
                if (!victim.equals(was) && !was.isEmpty() && !"null".equals(was)) {
                    continue; // it ran elsewhere: not affected
                }
                long deadline = died + Duration.ofSeconds(120).toNanos();
                while (true) {
                    JsonNode v = call("GET", "/api/v1/vms/" + vm, null, 200);
                    if ("RUNNING".equals(v.path("powerState").asText()) && !v.path("residentOn").isNull() && !victim.equals(v.path("residentOn").asText())) {
                        run.add((System.nanoTime() - died) / 1e9);
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("vm " + vm + " not running elsewhere 120 s after its host died");
                    }
                    Thread.sleep(50);
                }
            }
            System.out.printf("run %d: host %d killed (agent and QEMUs); protected VMs running elsewhere after %s s%n", r, h,
                    run.stream().map(d -> String.format("%.2f", d)).toList());
            times.addAll(run);
            agents.set(h, start(h));
            awaitAlive(List.of(victim), Duration.ofSeconds(90));
        }
        return times;
    }

    private void setUp(Duration t) throws Exception {
        String bridge = "hfb" + id;
        ip("link", "add", bridge, "type", "bridge");
        bridgeMade = true;
        ip("addr", "add", gateway() + "/24", "dev", bridge);
        ip("link", "set", bridge, "up");
        Path storage = Path.of(System.getProperty("atoll.storage.dir", "storage-adapters"));
        Path plugins = Files.createDirectories(root.resolve("plugins"));
        copyTree(storage.resolve("local/target/plugin/local"), plugins.resolve("local"));
        copyTree(storage.resolve("nfs/target/plugin/nfs"), plugins.resolve("nfs"));
        for (int i = 0; i < 3; i++) {
            String ns = "atoll-hf" + i + "-" + id;
            ip("netns", "add", ns);
            namespaces.add(ns);
            ip("link", "add", "hfv" + id + i, "type", "veth", "peer", "name", "eth0", "netns", ns);
            ip("link", "set", "hfv" + id + i, "master", bridge);
            ip("link", "set", "hfv" + id + i, "up");
            ip("-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0");
            ip("-n", ns, "link", "set", "eth0", "up");
            ip("-n", ns, "link", "set", "lo", "up");
            Path dir = Files.createDirectories(root.resolve("host" + i));
            agentCommands.add(List.of("ip", "netns", "exec", ns, Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-Dquarkus.http.port=7401", "-Dquarkus.http.host=" + address(i), "-Dquarkus.log.level=WARN",
                    "-Datoll.agent.state-dir=" + dir.resolve("state"), "-Datoll.agent.run-dir=" + dir.resolve("run"),
                    "-Datoll.agent.plugins-dir=" + plugins, "-Datoll.agent.storage-work-dir=" + dir.resolve("storage"),
                    "-Datoll.agent.network-dir=" + dir.resolve("networks"), "-Datoll.agent.host-uuid-file=" + dir.resolve("host-uuid"),
                    "-Datoll.agent.ha-watchdog-device=" + dir.resolve("no-watchdog"), "-jar", System.getProperty("atoll.agent.jar")));
        }
        nfs = GaneshaServer.launch(gateway());
        for (int i = 0; i < 3; i++) {
            agents.add(start(i));
        }
        int haPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            haPort = s.getLocalPort();
        }
        master = new MasterProcess(Path.of(System.getProperty("atoll.master.jar", "pool-master/server/target/quarkus-app/quarkus-run.jar")),
                Files.createDirectories(root.resolve("master")), null, List.of("atoll.master.ha.bind-address=" + gateway(),
                "atoll.master.ha.port=" + haPort, "atoll.master.ha.timeout=" + t.toSeconds() + "s", "atoll.master.ha.host-port=7800",
                "atoll.master.host-poll-interval=2s"));
        token = send("POST", "/api/v1/session/login", Map.of("username", "admin", "password", master.adminPassword()), 200).path("token").asText();
        for (int i = 0; i < 3; i++) {
            hosts.add(call("POST", "/api/v1/hosts", Map.of("agentUrl", "http://" + address(i) + ":7401"), 201).path("uuid").asText());
        }
    }

    private Process start(int i) throws Exception {
        Path log = root.resolve("host" + i).resolve("agent.log");
        Process p = new ProcessBuilder(agentCommands.get(i)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        QuarkusReady.await(p, "http://" + address(i) + ":7401", Duration.ofSeconds(90), "the agent of host " + i, () -> Files.readString(log));
        return p;
    }

    private void awaitAlive(List<String> which, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            JsonNode st = call("GET", "/api/v1/pool/ha", null, 200);
            long alive = 0;
            for (JsonNode h : st.path("hosts")) {
                if (which.contains(h.path("uuid").asText()) && "alive".equals(h.path("state").asText())) {
                    alive++;
                }
            }
            if (alive == which.size()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("hosts " + which + " not alive in HA within " + within.toSeconds() + " s: " + st.path("hosts"));
            }
            Thread.sleep(200);
        }
    }

    private void task(String uuid) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            JsonNode t = call("GET", "/api/v1/tasks/" + uuid, null, 200);
            String status = t.path("status").asText();
            if ("SUCCESS".equals(status)) {
                return;
            }
            if (!"PENDING".equals(status) && !"RUNNING".equals(status) || System.nanoTime() > deadline) {
                throw new IllegalStateException("task " + uuid + ": " + t);
            }
            Thread.sleep(50);
        }
    }

    private JsonNode call(String method, String path, Object body, int expected) throws Exception {
        return send(method, path, body, expected);
    }

    private JsonNode send(String method, String path, Object body, int expected) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(master.base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body instanceof JsonNode j ? j.toString() : JSON.writeValueAsString(body)));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + ": expected " + expected + ", got " + r.statusCode() + " " + r.body());
        }
        return r.body().isEmpty() ? JSON.missingNode() : JSON.readTree(r.body());
    }

    private static List<ProcessHandle> qemusUnder(Path dir) {
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8);
                if (cmd.startsWith("qemu-system") && cmd.contains(dir.toString())) {
                    out.add(p);
                }
            } catch (IOException | RuntimeException gone) {
                // ended meanwhile
            }
        });
        return out;
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out.strip());
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            throw new IllegalStateException("the storage plugin " + from + " is missing: build first (mvn -DskipTests install)");
        }
        try (var files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (master != null && token != null) {
                try {
                    send("PUT", "/api/v1/pool/ha", Map.of("enabled", false), 200);
                } catch (Exception e) {
                    System.err.println("ha-failover: disabling HA: " + e.getMessage());
                }
            }
        } finally {
            for (Process a : agents) {
                a.destroyForcibly();
                a.waitFor(10, TimeUnit.SECONDS);
            }
            for (ProcessHandle q : qemusUnder(root)) {
                q.destroyForcibly();
            }
            if (master != null) {
                master.close();
            }
            if (nfs != null) {
                nfs.close();
            }
            for (String ns : namespaces) {
                try {
                    ip("netns", "del", ns);
                } catch (IOException e) {
                    System.err.println("ha-failover: " + e.getMessage());
                }
            }
            if (bridgeMade) {
                try {
                    ip("link", "del", "hfb" + id);
                } catch (IOException e) {
                    System.err.println("ha-failover: " + e.getMessage());
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (var files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

}
