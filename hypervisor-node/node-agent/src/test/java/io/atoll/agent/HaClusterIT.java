package io.atoll.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.TestGuests;
import io.atoll.network.HostCommands;
import io.atoll.storage.nfs.GaneshaServer;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HA across three hosts: three node agents, each in its own network namespace with a link
 * ({@code eth0}, 192.168.237.1N) on a bridge of the root namespace, where nfs-ganesha serves the
 * shared repository that holds the statefile (bridge address 192.168.237.1). The test reaches each
 * agent over a separate control link, which a cut leaves alone. T = 4 s.
 *
 * <p>All three join one cluster through {@code PUT /api/v1/ha}; host 1 runs a protected VM (the
 * counter guest under TCG). Host 1's bridge link goes down: its QEMU is gone by pid within
 * 0.8·T + a margin, it reports itself fenced, the other two see each other as the majority and read
 * host 1's statefile counter standing still. The link comes back: host 1 rejoins the view, stays
 * fenced (its VM stays halted, a start is refused HOST_FENCED) until a PUT with the current epoch
 * re-admits it (also after an agent restart while fenced). Then the epoch filter: a lower epoch is refused, also after the agent restarted
 * (which re-applies its saved HA config and rejoins).
 */
class HaClusterIT {
    private static final int T = 4;
    private static final int JGROUPS_PORT = 7800;
    private static final String BRIDGE_ADDRESS = "192.168.237.1";
    private Path root;
    private String id;
    private String bridge;
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> rootLinks = new ArrayList<>();
    private final List<AgentProcess> agents = new ArrayList<>();
    private final List<String> hostUuids = new ArrayList<>();
    private GaneshaServer nfs;
    private String sr;

    @BeforeEach
    void threeHostsOnABridgeWithNfs() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-ha-it-");
        id = UUID.randomUUID().toString().substring(0, 6);
        bridge = "hab" + id;
        run("ip", "link", "add", bridge, "type", "bridge");
        rootLinks.add(bridge);
        run("ip", "addr", "add", BRIDGE_ADDRESS + "/24", "dev", bridge);
        run("ip", "link", "set", bridge, "up");
        Path plugins = Files.createDirectories(root.resolve("plugins"));
        copyTree(Path.of(System.getProperty("atoll.test.plugins-dir")).resolve("local"), plugins.resolve("local"));
        copyTree(Path.of(System.getProperty("atoll.test.nfs-plugin-dir")).resolve("nfs"), plugins.resolve("nfs"));
        // the SDK's sample adapter: a repository without a heartbeat area, for the refusal below
        copyTree(Path.of(System.getProperty("atoll.test.plugins-dir")).toAbsolutePath().getParent().getParent().getParent()
                .resolve("sample-partner/target/plugin/sample-dir"), plugins.resolve("sample-dir"));
        for (int n = 1; n <= 3; n++) {
            String ns = "atoll-ha" + n + "-" + id;
            run("ip", "netns", "add", ns);
            namespaces.add(ns);
            String port = "hv" + id + "-" + n;
            run("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
            rootLinks.add(port);
            run("ip", "link", "set", port, "master", bridge);
            run("ip", "link", "set", port, "up");
            in(ns, "ip", "addr", "add", hostAddress(n) + "/24", "dev", "eth0");
            in(ns, "ip", "link", "set", "eth0", "up");
            in(ns, "ip", "link", "set", "lo", "up");
            String ctl = "hc" + id + "-" + n;
            run("ip", "link", "add", ctl, "type", "veth", "peer", "name", "ctl0", "netns", ns);
            rootLinks.add(ctl);
            run("ip", "addr", "add", "192.168.238." + (4 * n + 1) + "/30", "dev", ctl);
            run("ip", "link", "set", ctl, "up");
            in(ns, "ip", "addr", "add", "192.168.238." + (4 * n + 2) + "/30", "dev", "ctl0");
            in(ns, "ip", "link", "set", "ctl0", "up");
            agents.add(new AgentProcess(root.resolve("a" + n), ns, "192.168.238." + (4 * n + 2))
                    .property("atoll.agent.plugins-dir", plugins.toString())
                    .property("atoll.agent.ha-watchdog-device", root.resolve("no-watchdog").toString())
                    .property("quarkus.log.category.\"org.jgroups.protocols\".level", "DEBUG"));
        }
        nfs = GaneshaServer.launch(BRIDGE_ADDRESS);
        List<CompletableFuture<AgentProcess>> starting = agents.stream().map(a -> CompletableFuture.supplyAsync(() -> {
            try {
                return a.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        })).toList();
        for (CompletableFuture<AgentProcess> f : starting) {
            f.get();
        }
        for (AgentProcess a : agents) {
            hostUuids.add(a.api().get("/api/v1/host").then().statusCode(200).extract().path("hostUuid"));
        }
        sr = UUID.randomUUID().toString();
        for (int i = 0; i < 3; i++) {
            agents.get(i).api().body(Map.of("name", "ha-nfs", "type", "nfs", "create", i == 0, "deviceConfig",
                    Map.of("server", BRIDGE_ADDRESS, "export", nfs.exportPath(), "path", "ha-" + id)))
                    .put("/api/v1/storage/srs/" + sr).then().statusCode(200).body("shared", equalTo(true));
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            for (AgentProcess a : agents) {
                try {
                    a.api().delete("/api/v1/ha");
                    a.api().delete("/api/v1/storage/srs/" + sr);
                } catch (Exception ignored) {
                    // the agent is gone: closing it below is what counts
                }
            }
            Path logs = Files.createDirectories(Path.of("target", "ha-it-logs"));
            for (int n = 0; n < agents.size(); n++) {
                try (Stream<Path> files = Files.list(agents.get(n).root())) {
                    for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                        Files.copy(log, logs.resolve("host" + (n + 1) + "-" + log.getFileName()),
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (Exception ignored) {
                    // no logs
                }
            }
            for (AgentProcess a : agents) {
                a.close(); // stops the agent, ends its QEMUs by pid and fails the test if any was left
            }
        } finally {
            if (nfs != null) {
                nfs.close();
            }
            rootLinks.forEach(l -> HostCommands.host().tryRun("ip", "link", "del", l));
            namespaces.forEach(ns -> HostCommands.host().tryRun("ip", "netns", "del", ns));
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String hostAddress(int n) {
        return "192.168.237.1" + n;
    }

    private Map<String, Object> haConfig(int n, List<String> protectedVms, long epoch) {
        Map<String, Object> c = new HashMap<>();
        c.put("enabled", true);
        c.put("timeoutSeconds", T);
        c.put("bindAddress", hostAddress(n));
        c.put("port", JGROUPS_PORT);
        c.put("initialHosts", List.of(hostAddress(1) + "[" + JGROUPS_PORT + "]", hostAddress(2) + "[" + JGROUPS_PORT + "]",
                hostAddress(3) + "[" + JGROUPS_PORT + "]"));
        c.put("quorum", hostUuids.stream().map(u -> "host/" + u).toList());
        c.put("statefileSr", sr);
        c.put("protectedVms", protectedVms);
        c.put("epoch", epoch);
        return c;
    }

    private static JsonPath ha(AgentProcess a) {
        return a.api().get("/api/v1/ha").then().statusCode(200).extract().jsonPath();
    }

    private static JsonPath await(AgentProcess a, String what, Duration within, Predicate<JsonPath> ok) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            JsonPath s = ha(a);
            if (ok.test(s)) {
                return s;
            }
            assertThat(System.nanoTime()).as("%s within %s; last status %s", what, within, s.prettify()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static long counter(JsonPath status, String host) {
        Object c = status.get("statefile.find { it.host == '" + host + "' }.counter");
        return c == null ? -1 : ((Number) c).longValue();
    }

    @Test
    void aHostCutFromClusterAndStatefileFencesItsProtectedVmAndRejoinsWithoutStartingIt() throws Exception {
        AgentProcess h1 = agents.get(0);
        AgentProcess h2 = agents.get(1);
        AgentProcess h3 = agents.get(2);
        Path disk = h1.root().resolve("counter.img");
        Files.copy(TestGuests.counterImage(), disk);
        String vm = h1.api().body("""
                {"name": "protected", "vcpus": 1, "memoryMiB": 32, "accelerator": "TCG",
                 "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0, "source": {"driver": "file", "filename": "%s"}}]}
                """.formatted(disk)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        int pid = h1.api().post("/api/v1/vms/" + vm + "/start").then().statusCode(200).extract().path("pid");

        long epoch = 1;
        // A repository whose adapter has no heartbeat area cannot hold the statefile: refused, nothing started.
        String plain = UUID.randomUUID().toString();
        h1.api().body(Map.of("name", "no-heartbeat", "type", "sample-dir", "create", true,
                "deviceConfig", Map.of("path", h1.root().resolve("sample-sr").toString()))).put("/api/v1/storage/srs/" + plain)
                .then().statusCode(200);
        Map<String, Object> onPlain = haConfig(1, List.of(vm), epoch);
        onPlain.put("statefileSr", plain);
        h1.api().body(onPlain).put("/api/v1/ha").then().statusCode(409).body("code", equalTo("STORAGE_NOT_SUPPORTED"))
                .body("message", containsString("SUPPORTS_HEARTBEAT")).body("message", containsString("no-heartbeat"));
        h1.api().get("/api/v1/ha").then().body("enabled", equalTo(false)).body("view.size()", equalTo(0));
        h1.api().delete("/api/v1/storage/srs/" + plain + "?destroy=true").then().statusCode(204);
        for (int n = 1; n <= 3; n++) {
            agents.get(n - 1).api().body(haConfig(n, n == 1 ? List.of(vm) : List.of(), epoch)).put("/api/v1/ha").then()
                    .statusCode(200).body("enabled", equalTo(true));
        }
        for (AgentProcess a : agents) {
            await(a, "one view of three, every statefile read", Duration.ofSeconds(20), s -> s.getList("view").size() == 3
                    && s.getBoolean("majority") && s.getList("statefile").size() == 3);
        }
        // the same config again changes nothing
        h2.api().body(haConfig(2, List.of(), epoch)).put("/api/v1/ha").then().statusCode(200).body("view.size()", equalTo(3));
        Thread.sleep(T * 1000L / 2); // a settled cluster (the last member's connections and first heartbeats) before the cut
        for (AgentProcess a : agents) {
            assertThat(ha(a).getList("view")).as("settled view").hasSize(3);
        }

        // Host 1's link to the bridge (cluster and NFS) goes down.
        long cut = System.nanoTime();
        run("ip", "link", "set", "hv" + id + "-1", "down");
        long deadline = cut + Duration.ofMillis(800L * T + 2000).toNanos();
        while (HaApiTest.alive(pid)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("protected VM's qemu (pid " + pid + ") not gone within 0.8·T + 2 s; host 1: "
                        + ha(h1).prettify() + "\nhost 2: " + ha(h2).prettify());
            }
            Thread.sleep(50);
        }
        long goneMs = (System.nanoTime() - cut) / 1_000_000;
        System.out.printf("HA cluster IT: host 1's protected qemu gone %d ms after the cut (0.8·T = %d ms)%n", goneMs, 800 * T);
        assertThat(goneMs).as("not before the fence deadline").isGreaterThanOrEqualTo(800L * T - 1000);
        JsonPath fenced = await(h1, "host 1 fenced", Duration.ofSeconds(3), s -> s.getBoolean("fenced"));
        assertThat(fenced.getBoolean("majority")).isFalse();
        assertThat(fenced.getString("fenceReason")).contains("lost the majority partition and the statefile");
        h1.api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED")).body("crashReason", containsString("HA self-fence"));

        String u1 = hostUuids.get(0);
        for (AgentProcess a : List.of(h2, h3)) {
            await(a, "hosts 2 and 3 a majority without host 1", Duration.ofSeconds(20), s -> s.getList("view").size() == 2
                    && s.getBoolean("majority") && !s.getList("view").contains("host/" + u1));
        }
        long before = counter(ha(h2), u1);
        long own = counter(ha(h2), hostUuids.get(1));
        Thread.sleep(2000);
        JsonPath later = ha(h3);
        assertThat(later.getBoolean("statefileReadable")).isTrue();
        assertThat(counter(later, u1)).as("host 1's statefile counter stands still").isEqualTo(before).isPositive();
        assertThat(counter(ha(h2), hostUuids.get(1))).as("host 2's moves on").isGreaterThan(own);

        // The link comes back: host 1 rejoins the view but stays fenced; nothing starts there.
        run("ip", "link", "set", "hv" + id + "-1", "up");
        long up = System.nanoTime();
        await(h1, "host 1 back in the majority view", Duration.ofSeconds(30), s -> s.getList("view").size() == 3 && s.getBoolean("majority"));
        System.out.printf("HA cluster IT: host 1 back in the view %d ms after the link came up%n", (System.nanoTime() - up) / 1_000_000);
        JsonPath back = ha(h1);
        assertThat(back.getBoolean("fenced")).isTrue();
        h1.api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED"));
        h1.api().post("/api/v1/vms/" + vm + "/start").then().statusCode(409).body("code", equalTo("HOST_FENCED"))
                .body("message", containsString(u1));
        await(h2, "host 1's statefile moving again", Duration.ofSeconds(10), s -> counter(s, u1) > before);
        // The fence survives an agent restart (its record is persisted); the saved config rejoins.
        h1.kill();
        h1.start();
        await(h1, "host 1 rejoined after its restart", Duration.ofSeconds(20), s -> s.getBoolean("enabled")
                && s.getList("view").size() == 3 && s.getBoolean("majority"));
        assertThat(ha(h1).getBoolean("fenced")).isTrue();
        h1.api().post("/api/v1/vms/" + vm + "/start").then().statusCode(409).body("code", equalTo("HOST_FENCED"));

        // The master re-admits it with the current epoch; the VM still does not start by itself.
        h1.api().body(haConfig(1, List.of(vm), epoch)).put("/api/v1/ha").then().statusCode(200).body("fenced", equalTo(false))
                .body("majority", equalTo(true));
        h1.api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED"));

        // Epoch fencing on host 2: a lower epoch is refused, before and after the agent restarts.
        h2.api().header("X-Atoll-Master-Epoch", "7").get("/api/v1/vms").then().statusCode(200);
        h2.api().header("X-Atoll-Master-Epoch", "6").get("/api/v1/vms").then().statusCode(409)
                .body("code", equalTo("MASTER_FENCED")).body("message", containsString("a newer master (epoch 7) is active"));
        h2.kill();
        h2.start();
        h2.api().header("X-Atoll-Master-Epoch", "6").get("/api/v1/vms").then().statusCode(409).body("code", equalTo("MASTER_FENCED"));
        await(h2, "host 2 rejoined with its saved config", Duration.ofSeconds(20), s -> s.getBoolean("enabled")
                && s.getList("view").size() == 3 && s.getLong("epochSeen") == 7);
        h2.api().body(haConfig(2, List.of(), 6)).put("/api/v1/ha").then().statusCode(409).body("code", equalTo("MASTER_FENCED"));
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
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

    private static void in(String ns, String... command) {
        List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        a.addAll(List.of(command));
        run(a.toArray(String[]::new));
    }

    private static void run(String... command) {
        HostCommands.host().check(null, command);
    }
}
