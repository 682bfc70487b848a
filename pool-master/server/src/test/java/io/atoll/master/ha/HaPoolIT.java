package io.atoll.master.ha;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.master.testing.Commands;
import io.atoll.master.testing.NetnsHa;
import io.atoll.master.testing.NetnsHosts;
import io.atoll.master.testing.NodeAgentProcess;
import io.atoll.master.testing.PostgresServer;
import io.atoll.master.testing.Qemus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * HA end to end (issue 6's checks), T = 4 s: three hosts, each an agent in its own network
 * namespace, a shared NFS repository (nfs-ganesha on the management bridge) holding the statefile,
 * two protected VMs (restart priority restart, disks in the repository: the Linux guest, which
 * writes files to its disk that are verified wherever it runs next, and the counter guest),
 * and a watcher that checks every 20 ms, from /proc, that no VM ever has two QEMU processes.
 * <ul>
 * <li>The host running both VMs dies (its agent and its QEMUs killed -9): both run on the
 *     survivors within the goal (T + T/10 after the loss, plus the start).</li>
 * <li>The dead host's agent comes back: re-admitted, it starts nothing.</li>
 * <li>A host running a VM is cut off (its management link down) while it keeps running: it
 *     fences itself (its QEMU gone within 0.8·T and a margin), the VM runs elsewhere.</li>
 * <li>The link heals: the host rejoins, is re-admitted, and starts none of its old VMs.</li>
 * </ul>
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
@WithTestResource(NetnsHa.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HaPoolIT {
    private static final Duration T = Duration.ofSeconds(NetnsHa.T_SECONDS);
    private static final Duration TASK = Duration.ofSeconds(90);
    private final List<NodeAgentProcess> agents = new ArrayList<>();
    private final List<String> hosts = new ArrayList<>();
    private Path shared;
    private final Map<String, Integer> mostCopies = new ConcurrentHashMap<>();
    private final AtomicBoolean watching = new AtomicBoolean();
    private Thread watcher;

    @BeforeAll
    void startHosts() throws Exception {
        NetnsHosts net = NetnsHa.net();
        shared = Files.createTempDirectory(Path.of("/tmp"), "atoll-ha-pool-");
        Path plugins = Files.createDirectories(shared.resolve("plugins"));
        Commands.copyTree(Path.of(System.getProperty("atoll.test.plugins-dir")).resolve("local"), plugins.resolve("local"));
        Commands.copyTree(Path.of(System.getProperty("atoll.test.nfs-plugin-dir")).resolve("nfs"), plugins.resolve("nfs"));
        List<CompletableFuture<NodeAgentProcess>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return NodeAgentProcess.start(false, plugins, net.namespace(n), net.address(n),
                            List.of("atoll.agent.ha-watchdog-device=" + shared.resolve("no-watchdog")));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<NodeAgentProcess> f : starting) {
            agents.add(f.get());
        }
    }

    @Test
    void protectedVmsRestartElsewhereAndNeverRunTwice() throws Exception {
        NetnsHosts net = NetnsHa.net();
        for (NodeAgentProcess a : agents) {
            hosts.add(api().body("{\"agentUrl\": \"" + a.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid"));
        }
        String sr = api().body(Map.of("name", "ha-nfs", "type", "nfs", "deviceConfig", Map.of("server", net.managementGateway(),
                "export", NetnsHa.nfs().exportPath(), "path", "ha-pool"))).post("/api/v1/srs").then().statusCode(201)
                .body("shared", equalTo(true)).body("attachments.findAll { it.attached }.size()", equalTo(3)).extract().path("uuid");
        api().body(Map.of("enabled", true, "statefileSr", sr, "hostFailuresToTolerate", 1)).put("/api/v1/pool/ha").then().statusCode(200)
                .body("enabled", equalTo(true));
        awaitStates(Map.of(hosts.get(0), "alive", hosts.get(1), "alive", hosts.get(2), "alive"), T.multipliedBy(5));

        // A Linux guest writing files to its disk in the repository, and the counter guest.
        List<String> vms = new ArrayList<>();
        String linux = api().body("""
                {"name": "guarded-linux", "memoryMiB": 256, "accelerator": "TCG",
                 "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"}, "disks": [{"sr": "%s", "sizeBytes": 67108864}]}
                """.formatted(TestGuests.linuxKernel(), TestGuests.linuxInitrd(), TestGuests.LINUX_CMDLINE, sr))
                .post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        vms.add(linux);
        Path boot = shared.resolve("counter.img");
        Files.copy(TestGuests.counterImage(), boot);
        vms.add(api().body("""
                {"name": "guarded-counter", "memoryMiB": 32, "accelerator": "TCG",
                 "disks": [{"path": "%s", "format": "raw", "bootIndex": 0}, {"sr": "%s", "sizeBytes": 16777216}]}
                """.formatted(boot, sr)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid"));
        for (String vm : vms) {
            api().body("{\"restartPriority\": \"restart\", \"restartOrder\": " + vms.indexOf(vm) + "}").put("/api/v1/vms/" + vm + "/ha")
                    .then().statusCode(200);
            succeeded(api().body("{\"host\": \"" + hosts.get(0) + "\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(202)
                    .extract().path("uuid"));
        }
        GuestConsole guest = console(linux);
        guest.await(l -> l.contains("ATOLL-GUEST READY"), TASK, "the Linux guest ready");
        assertThat(guest.command("write before 4", "ATOLL-GUEST WROTE before", TASK)).startsWith("ATOLL-GUEST WROTE before");
        startWatching(vms);

        // 1. Host 0 dies: its agent and its QEMUs killed -9.
        Map<Integer, Integer> linesBefore = consoleLines(linux);
        NodeAgentProcess dying = agents.get(0);
        long died = System.nanoTime();
        dying.kill();
        Qemus.under(dying.root()).forEach(ProcessHandle::destroyForcibly);
        Map<String, Double> restartedAfter = new HashMap<>();
        for (String vm : vms) {
            await("vm " + vm + " running on a survivor", T.multipliedBy(6), () -> {
                JsonPath v = api().get("/api/v1/vms/" + vm).then().extract().jsonPath();
                boolean elsewhere = "RUNNING".equals(v.getString("powerState")) && v.getString("residentOn") != null
                        && !hosts.get(0).equals(v.getString("residentOn")) && copies(vm) == 1;
                if (elsewhere) {
                    restartedAfter.put(vm, (System.nanoTime() - died) / 1e9);
                }
                return elsewhere;
            });
        }
        System.out.printf("HA: host 0 killed; protected VMs running elsewhere after %s s (T = %d s)%n", restartedAfter, T.toSeconds());
        // What the guest wrote (and synced) before its host died is on its disk where it runs now.
        GuestConsole again = console(linux);
        again.await(l -> l.contains("ATOLL-GUEST READY"), linesBefore.get(runningOn(linux)), TASK, "the Linux guest ready on its new host");
        assertThat(again.command("verify before", "ATOLL-GUEST VERIFY before", TASK)).isEqualTo("ATOLL-GUEST VERIFY before OK");
        assertThat(again.command("write after 2", "ATOLL-GUEST WROTE after", TASK)).startsWith("ATOLL-GUEST WROTE after");
        List<String> codes = api().get("/api/v1/alerts").then().extract().jsonPath().getList("code");
        assertThat(codes).contains("HA_HOST_DEAD", "HA_HOST_FENCED", "HA_VM_RESTARTED");

        // 2. Host 0's agent comes back: re-admitted, it runs none of the VMs.
        dying.restart();
        awaitStates(Map.of(hosts.get(0), "alive"), T.multipliedBy(8));
        for (String vm : vms) {
            assertThat(copies(vm)).as("vm %s runs once", vm).isEqualTo(1);
            assertThat(Qemus.under(dying.root())).as("the restarted host runs nothing").isEmpty();
        }

        // 3. The host running the first VM is cut off but keeps running: it fences itself, the VM runs elsewhere.
        String vm = vms.get(0);
        String cutHost = api().get("/api/v1/vms/" + vm).then().extract().path("residentOn");
        int cut = hosts.indexOf(cutHost);
        List<ProcessHandle> itsQemus = Qemus.under(agents.get(cut).root());
        assertThat(itsQemus).isNotEmpty();
        Map<Integer, Integer> linesBeforeCut = consoleLines(vm);
        long cutAt = System.nanoTime();
        net.managementLink(cut, false);
        await("the cut host's QEMU gone (self-fence)", T.multipliedBy(3), () -> itsQemus.stream().noneMatch(p -> Qemus.running(p.pid())));
        double fencedAfter = (System.nanoTime() - cutAt) / 1e9;
        await("vm " + vm + " running on another host", T.multipliedBy(6), () -> {
            JsonPath v = api().get("/api/v1/vms/" + vm).then().extract().jsonPath();
            return "RUNNING".equals(v.getString("powerState")) && !cutHost.equals(v.getString("residentOn")) && copies(vm) == 1;
        });
        double movedAfter = (System.nanoTime() - cutAt) / 1e9;
        System.out.printf("HA: host %d cut off; fenced its VMs after %.1f s, they run elsewhere after %.1f s%n", cut, fencedAfter, movedAfter);
        assertThat(fencedAfter).as("fenced within 0.8·T and a margin").isLessThan(T.toMillis() * 0.8 / 1000 + T.toSeconds());

        // 4. The link heals: the host rejoins, is re-admitted, and starts none of its old VMs.
        net.managementLink(cut, true);
        awaitStates(Map.of(cutHost, "alive"), T.multipliedBy(8));
        GuestConsole moved = console(vm);
        moved.await(l -> l.contains("ATOLL-GUEST READY"), linesBeforeCut.get(runningOn(vm)), TASK, "the Linux guest ready after the isolation");
        assertThat(moved.command("verify before", "ATOLL-GUEST VERIFY before", TASK)).isEqualTo("ATOLL-GUEST VERIFY before OK");
        assertThat(moved.command("verify after", "ATOLL-GUEST VERIFY after", TASK)).isEqualTo("ATOLL-GUEST VERIFY after OK");
        Thread.sleep(T.toMillis());
        assertThat(Qemus.under(agents.get(cut).root())).as("the healed host starts none of its old VMs").isEmpty();
        for (String v : vms) {
            assertThat(copies(v)).as("vm %s runs once", v).isEqualTo(1);
        }
        stopWatching();
        assertThat(mostCopies).as("the most QEMU processes any VM had at once").allSatisfy((v, n) -> assertThat(n).isLessThanOrEqualTo(1));

        for (String v : vms) {
            api().body("{\"restartPriority\": \"none\"}").put("/api/v1/vms/" + v + "/ha").then().statusCode(200);
            succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + v + "/shutdown").then().statusCode(202).extract().path("uuid"));
        }
        api().body(Map.of("enabled", false)).put("/api/v1/pool/ha").then().statusCode(200);
    }

    /**
     * The VM's running QEMUs on this machine (all namespaces share its process table). QEMU starts
     * with {@code -daemonize}: the process the agent launched (the agent's child) forks, its child
     * forks the daemon and exits, and the launcher waits with the same command line until the
     * daemon is ready — one copy, up to three processes for a moment. So a process is counted only
     * when its parent is neither the agent's JVM (the launcher) nor a QEMU of the same VM (the
     * intermediate child and the daemon before the intermediate has exited).
     */
    private static int copies(String vm) {
        List<ProcessHandle> same = Qemus.under(Path.of(vm));
        java.util.Set<Long> pids = new java.util.HashSet<>();
        same.forEach(p -> pids.add(p.pid()));
        return (int) same.stream().filter(p -> {
            long ppid = parentPid(p.pid());
            if (ppid < 0 || pids.contains(ppid)) {
                return false; // gone meanwhile, or part of the same start's fork chain
            }
            return ProcessHandle.of(ppid).flatMap(parent -> parent.info().command()).map(c -> !c.endsWith("/java")).orElse(true);
        }).count();
    }

    /** The parent's pid from /proc (field 4 of stat), or -1 when the process is gone. */
    private static long parentPid(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(after[1]);
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }

    /** The index of the host the VM runs on now. */
    private int runningOn(String vm) {
        return hosts.indexOf(api().get("/api/v1/vms/" + vm).then().extract().<String>path("residentOn"));
    }

    /** How many lines each host's console log of the VM has now (a restart there appends to it). */
    private Map<Integer, Integer> consoleLines(String vm) {
        Map<Integer, Integer> out = new HashMap<>();
        for (int i = 0; i < agents.size(); i++) {
            out.put(i, (int) new GuestConsole(agents.get(i).consoleLog(vm), null).count(l -> true));
        }
        return out;
    }

    /** The serial console of the VM on the host it runs on now. */
    private GuestConsole console(String vm) {
        String host = api().get("/api/v1/vms/" + vm).then().extract().path("residentOn");
        NodeAgentProcess agent = agents.get(hosts.indexOf(host));
        return new GuestConsole(agent.consoleLog(vm), agent.consoleSocket(vm));
    }

    private void startWatching(List<String> vms) {
        watching.set(true);
        watcher = new Thread(() -> {
            while (watching.get()) {
                for (String vm : vms) {
                    mostCopies.merge(vm, copies(vm), Math::max);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "two-copies-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    private void stopWatching() throws InterruptedException {
        watching.set(false);
        if (watcher != null) {
            watcher.join(5000);
        }
    }

    private void awaitStates(Map<String, String> wanted, Duration within) throws InterruptedException {
        await("host states " + wanted, within, () -> {
            JsonPath st = api().get("/api/v1/pool/ha").then().statusCode(200).extract().jsonPath();
            for (Map.Entry<String, String> w : wanted.entrySet()) {
                String state = st.getString("hosts.find { it.uuid == '" + w.getKey() + "' }.state");
                if (!w.getValue().equals(state)) {
                    return false;
                }
            }
            return true;
        });
    }

    private static void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within " + within.toSeconds() + " s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static void succeeded(String task) throws InterruptedException {
        JsonPath done = awaitTask(task, TASK);
        assertThat(done.getString("status")).as("task %s: %s", task, done.prettify()).isEqualTo("SUCCESS");
    }

    @TestHTTPResource
    java.net.URL master;

    @AfterAll
    void cleanUp() throws Exception {
        io.restassured.RestAssured.baseURI = master.toString().replaceAll("/$", "");
        io.restassured.RestAssured.port = master.getPort();
        try {
            stopWatching();
            try {
                api().body(Map.of("enabled", false)).put("/api/v1/pool/ha");
                for (var vm : api().get("/api/v1/vms").then().extract().jsonPath().getList("", Map.class)) {
                    if (vm.get("residentOn") != null) {
                        awaitTask(api().body("{\"force\": true}").post("/api/v1/vms/" + vm.get("uuid") + "/shutdown").then().extract().path("uuid"), TASK);
                    }
                    api().delete("/api/v1/vms/" + vm.get("uuid") + "?deleteDisks=true");
                }
            } catch (RuntimeException e) {
                System.err.println("HaPoolIT: clean-up through the master failed: " + e.getMessage());
            }
            for (int i = 0; i < 3 && i < NetnsHa.net().namespaceCount(); i++) {
                NetnsHa.net().managementLink(i, true);
            }
        } finally {
            for (NodeAgentProcess a : agents) {
                try {
                    a.close();
                } catch (AssertionError | RuntimeException e) {
                    System.err.println("HaPoolIT: " + e.getMessage());
                }
            }
            if (shared != null) {
                Commands.deleteTree(shared);
            }
            for (String h : hosts) {
                try {
                    api().delete("/api/v1/hosts/" + h);
                } catch (RuntimeException e) {
                    System.err.println("HaPoolIT: eject " + h + ": " + e.getMessage());
                }
            }
        }
    }
}
