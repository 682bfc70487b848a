package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.nullValue;

import io.atoll.guests.TestGuests;
import io.atoll.master.testing.AgentGate;
import io.atoll.master.testing.Api;
import io.atoll.master.testing.MasterProcess;
import io.atoll.master.testing.NodeAgentProcess;
import io.atoll.master.testing.PostgresServer;
import io.atoll.master.testing.Qemus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Reconciliation against real processes: a node agent, QEMU (TCG, the counter guest) and, for
 * the master's own crash, the packaged master. The pool database and the host are made to
 * disagree for real — a VM started on the agent behind the master's back, a QEMU killed by pid,
 * a VM's definition removed on the host, the agent killed and restarted, the master killed with
 * a start in flight — and the master must converge within a few polls (1 s here), with events.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReconciliationIT {
    private static final Duration TASK = Duration.ofSeconds(60);
    /**
     * The packaged master's task watchdog limit in (ii): longer than any real operation of the test
     * takes on a loaded machine, shorter than the test's patience with a start held at the gate.
     */
    private static final Duration WATCHDOG_LIMIT = Duration.ofSeconds(10);
    /** A few poll intervals (1 s in %test), with room for a loaded machine. */
    private static final Duration CONVERGE = Duration.ofSeconds(20);

    private NodeAgentProcess agent;
    private String host;

    @TestHTTPResource
    URL master;

    @BeforeAll
    void startAgent() throws Exception {
        agent = NodeAgentProcess.start(false);
    }

    @BeforeEach
    void joinHost() {
        if (host == null) {
            host = api().body("{\"agentUrl\": \"" + agent.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
        }
    }

    /**
     * (i) The database says halted, the host runs the VM (started on the agent directly): the
     * master records it running there. A VM the pool does not know is counted on the host and left
     * alone. The QEMU killed behind everyone's back: crashed. Its definition removed on the host:
     * halted, resident nowhere.
     */
    @Test
    void theDatabaseFollowsWhatTheHostRunsAndLeavesForeignVmsAlone() throws Exception {
        Path disk = agent.root().resolve("adopted.img");
        Files.copy(TestGuests.counterImage(), disk);
        String vm = createVm("adopted", disk);
        long since = eventToken();

        // Started on the agent directly, with the pool VM's uuid, while the database says halted.
        onAgent().body(agentSpec(vm, "adopted", disk)).post("/api/v1/vms").then().statusCode(201);
        onAgent().post("/api/v1/vms/" + vm + "/start").then().statusCode(200).body("powerState", equalTo("RUNNING"));
        awaitVm(vm, "RUNNING", host);
        api().get("/api/v1/vms/" + vm).then().body("residentOnHealth", equalTo("ONLINE")).body("alsoRunningOn", nullValue())
                .body("currentOperation", nullValue());
        assertThat(vmStates(vm, since)).as("vm mod events since the VM was started on the host").contains("RUNNING@" + host);

        // A VM the pool does not know: counted on its host, never touched.
        Path strangerDisk = agent.root().resolve("stranger.img");
        Files.copy(TestGuests.counterImage(), strangerDisk);
        String stranger = UUID.randomUUID().toString();
        onAgent().body(agentSpec(stranger, "stranger", strangerDisk)).post("/api/v1/vms").then().statusCode(201);
        onAgent().post("/api/v1/vms/" + stranger + "/start").then().statusCode(200);
        long strangerPid = ((Number) onAgent().get("/api/v1/vms/" + stranger).then().extract().path("pid")).longValue();
        await("host counts 1 foreign VM", () -> Integer.valueOf(1).equals(api().get("/api/v1/hosts/" + host).then().extract().path("foreignVms")));
        long afterForeign = eventToken();
        Thread.sleep(3_000); // three polls: nothing may happen to it
        onAgent().get("/api/v1/vms/" + stranger).then().body("powerState", equalTo("RUNNING")).body("pid", equalTo((int) strangerPid));
        api().get("/api/v1/vms/" + stranger).then().statusCode(404);
        assertThat(vmStates(stranger, afterForeign)).isEmpty();
        onAgent().body("{\"force\": true}").post("/api/v1/vms/" + stranger + "/shutdown").then().statusCode(200);
        onAgent().delete("/api/v1/vms/" + stranger).then().statusCode(204);
        await("no foreign VM any more", () -> Integer.valueOf(0).equals(api().get("/api/v1/hosts/" + host).then().extract().path("foreignVms")));

        // The QEMU killed by pid behind the master's back: crashed on its host.
        long pid = pidOnAgent(vm);
        since = eventToken();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        awaitVm(vm, "CRASHED", host);
        // Its definition removed on the host: the host does not know it any more -> halted, resident nowhere.
        onAgent().delete("/api/v1/vms/" + vm).then().statusCode(204);
        awaitVm(vm, "HALTED", null);
        assertThat(vmStates(vm, since)).containsSubsequence("CRASHED@" + host, "HALTED@null");
        api().get("/api/v1/vms/" + vm).then().body("allowedOperations", hasItems("start", "destroy"));

        // And it starts normally through the master afterwards.
        succeeded(api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        hardShutdownAndDestroy(vm);
    }

    /**
     * (i) Two copies: the VM runs on its host and — started behind the master's back with the
     * same uuid — on a second host too. Both exist: the VM stays recorded where it was,
     * {@code alsoRunningOn} names the second host, and nothing is killed; once the second copy is
     * gone, the mark goes. Then a suspended VM whose host lost it (definition and suspend image
     * removed on the host): halted, since it can never be resumed.
     */
    @Test
    void twoRunningCopiesAreReportedNeverKilledAndASuspendedVmItsHostLostIsHalted() throws Exception {
        String vm = startedVm("twice");
        long pid = pidOnAgent(vm);
        String secondHost = null;
        try (NodeAgentProcess second = NodeAgentProcess.start(false)) {
            secondHost = api().body("{\"agentUrl\": \"" + second.url() + "\"}").post("/api/v1/hosts").then().statusCode(201)
                    .extract().path("uuid");
            Path copy = second.root().resolve("twice.img");
            Files.copy(TestGuests.counterImage(), copy);
            long since = eventToken();
            on(second).body(agentSpec(vm, "twice", copy)).post("/api/v1/vms").then().statusCode(201);
            long secondPid = ((Number) on(second).post("/api/v1/vms/" + vm + "/start")
                    .then().statusCode(200).extract().path("pid")).longValue();
            String other = secondHost;
            await("the second copy is reported", () -> other.equals(api().get("/api/v1/vms/" + vm).then().extract().path("alsoRunningOn")));
            api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("RUNNING")).body("residentOn", equalTo(host));
            Thread.sleep(3_000); // three polls: nothing is killed, nothing moves
            assertThat(Qemus.running(pid)).as("the recorded copy runs on").isTrue();
            assertThat(Qemus.running(secondPid)).as("the second copy runs on").isTrue();
            api().get("/api/v1/vms/" + vm).then().body("residentOn", equalTo(host)).body("alsoRunningOn", equalTo(secondHost));
            assertThat(api().get("/api/v1/events?from=" + since + "&limit=10000").then().extract().jsonPath()
                    .getList("events.findAll { it.ref == '" + vm + "' }.snapshot.alsoRunningOn")).contains(secondHost);

            // An administrator stops the second copy on its host: the mark goes.
            on(second).body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(200);
            on(second).delete("/api/v1/vms/" + vm).then().statusCode(204);
            await("the mark goes", () -> api().get("/api/v1/vms/" + vm).then().extract().path("alsoRunningOn") == null);
            api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("RUNNING")).body("residentOn", equalTo(host));
            api().delete("/api/v1/hosts/" + secondHost).then().statusCode(204);
            secondHost = null;
        } finally {
            if (secondHost != null) {
                api().delete("/api/v1/hosts/" + secondHost);
            }
        }

        // Suspended, then its host loses it (the agent removes a suspended VM with its state files).
        succeeded(api().post("/api/v1/vms/" + vm + "/suspend").then().statusCode(202).extract().path("uuid"));
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("SUSPENDED")).body("residentOn", equalTo(host));
        onAgent().delete("/api/v1/vms/" + vm).then().statusCode(204);
        awaitVm(vm, "HALTED", null);
        succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"));
    }

    /**
     * (i) The agent killed (kill -9: its VMs keep running) and restarted: while it is away the VM
     * keeps its recorded state, shown with the host's health; the restarted agent re-adopts the
     * QEMU and the master agrees without a hiccup. Then the same with the QEMU killed while the
     * agent was away: crashed once the agent is back.
     */
    @Test
    void anAgentRestartIsFollowedTheVmsKeepTheirStateAndWhatChangedMeanwhileIsSeen() throws Exception {
        String vm = startedVm("survivor");
        long pid = pidOnAgent(vm);
        long since = eventToken();

        agent.kill();
        await("host UNREACHABLE", () -> "UNREACHABLE".equals(api().get("/api/v1/hosts/" + host).then().extract().path("health")));
        await("the VM shows its host's health", () -> "UNREACHABLE".equals(api().get("/api/v1/vms/" + vm).then().extract().path("residentOnHealth")));
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("RUNNING")).body("residentOn", equalTo(host));
        assertThat(Qemus.running(pid)).as("QEMU outlives its agent").isTrue();

        agent.restart();
        await("host ONLINE", () -> "ONLINE".equals(api().get("/api/v1/hosts/" + host).then().extract().path("health")));
        await("the VM shows ONLINE", () -> "ONLINE".equals(api().get("/api/v1/vms/" + vm).then().extract().path("residentOnHealth")));
        Thread.sleep(2_000); // two more polls
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("RUNNING")).body("residentOn", equalTo(host));
        assertThat(pidOnAgent(vm)).as("the same QEMU, adopted").isEqualTo(pid);
        List<String> seen = vmStates(vm, since);
        assertThat(seen).as("the VM was never recorded otherwise").allMatch(s -> s.equals("RUNNING@" + host));
        assertThat(healthSeen(vm, since)).containsSubsequence("UNREACHABLE", "ONLINE");

        // The QEMU dies while the agent is away: once the agent is back, the VM is crashed.
        agent.kill();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        Api.await("QEMU gone", TASK, () -> !Qemus.running(pid));
        agent.restart();
        awaitVm(vm, "CRASHED", host);
        api().get("/api/v1/vms/" + vm).then().body("residentOnHealth", equalTo("ONLINE"));
        hardShutdownAndDestroy(vm);
    }

    /**
     * (iii) The agent killed while an operation waits for it (a clean shutdown the counter guest
     * ignores, so the agent waits for its timeout): the task fails with HOST_UNREACHABLE at once,
     * not after the 30-minute backstop, and the VM is free again. The QEMU is killed while the
     * agent is away; the restarted agent reports the VM crashed and the master records that.
     */
    @Test
    void anAgentKilledMidOperationFailsTheTaskAndTheVmComesTrueWhenItReturns() throws Exception {
        String vm = startedVm("cut");
        long pid = pidOnAgent(vm);

        String task = api().body("{\"timeoutSeconds\": 60}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202).extract().path("uuid");
        await("the agent is shutting the VM down", () -> "clean_shutdown".equals(onAgent().get("/api/v1/vms/" + vm).then().extract()
                .path("currentOperation")));
        api().get("/api/v1/tasks/" + task).then().body("status", equalTo("RUNNING"));

        agent.kill();
        JsonPath failed = awaitTask(task, Duration.ofSeconds(20));
        assertThat(failed.getString("status")).isEqualTo("FAILURE");
        assertThat(failed.getString("error.code")).isEqualTo("HOST_UNREACHABLE");
        assertThat(failed.getString("error.message")).contains("did not answer");
        api().get("/api/v1/vms/" + vm).then().body("currentOperation", nullValue()).body("powerState", equalTo("RUNNING"));

        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        Api.await("QEMU gone", TASK, () -> !Qemus.running(pid));
        agent.restart();
        awaitVm(vm, "CRASHED", host);
        hardShutdownAndDestroy(vm);
    }

    /**
     * (ii) The packaged master killed (kill -9) while a start is in flight: the agent's start call
     * is held at a gate between master and agent, so the task is RUNNING for sure; the master dies;
     * the held start then reaches the agent, which starts the VM. After the restart no task is
     * open, the start failed as TASK_INTERRUPTED, and the VM is recorded RUNNING on the host — before
     * the API opened (the start-up pass), not a poll later. Then the watchdog: with a 10 s limit, a
     * start held at the gate fails as TASK_INTERRUPTED, the VM is free, and when the start does reach
     * the agent the late outcome is refused and reconciliation records the truth.
     */
    @Test
    void aMasterKilledMidStartLeavesNoTaskOpenAndNoStateWrong() throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "atoll-mk-");
        try (NodeAgentProcess other = NodeAgentProcess.start(false); AgentGate gate = AgentGate.open(other.url());
             MasterProcess pm = MasterProcess.in(root, "atoll.master.host-poll-interval=1s",
                     "atoll.master.task-running-limit=" + WATCHDOG_LIMIT.toSeconds() + "s", "atoll.master.task-watchdog-interval=1s")) {
            try {
                pm.start("master-1.log");
                String hostUuid = pm.api().body("{\"agentUrl\": \"" + gate.url() + "\"}").post("/api/v1/hosts").then().statusCode(201)
                        .extract().path("uuid");
                Path disk = other.root().resolve("inflight.img");
                Files.copy(TestGuests.counterImage(), disk);
                String vm = pm.api().body(vmRequest("inflight", disk)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");

                gate.hold("/start");
                String start = pm.api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid");
                gate.awaitHeld(TASK);
                pm.api().get("/api/v1/tasks/" + start).then().body("status", equalTo("RUNNING"));
                pm.api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED")).body("currentOperation.task", equalTo(start));
                pm.kill();

                // The start reaches the host after the master died: the VM runs there, unrecorded.
                gate.release();
                await("the agent runs the VM", () -> "RUNNING".equals(on(other).get("/api/v1/vms/" + vm).then().extract().path("powerState")));

                pm.start("master-2.log");
                // The very first answers: the start-up pass ran before the API opened.
                pm.api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("RUNNING")).body("residentOn", equalTo(hostUuid))
                        .body("currentOperation", nullValue());
                pm.api().get("/api/v1/tasks?status=PENDING").then().body("size()", equalTo(0));
                pm.api().get("/api/v1/tasks?status=RUNNING").then().body("size()", equalTo(0));
                pm.api().get("/api/v1/tasks/" + start).then().body("status", equalTo("FAILURE"))
                        .body("error.code", equalTo("TASK_INTERRUPTED"));
                assertThat(Files.readString(pm.log("master-2.log"))).contains("vm " + vm + " (inflight): reconciled HALTED -> RUNNING on host "
                        + hostUuid).contains("start-up reconciliation done");

                // The watchdog (limit 10 s here): a hard shutdown, then a start held at the gate.
                JsonPath down = awaitPmTask(pm, pm.api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then()
                        .statusCode(202).extract().path("uuid"));
                assertThat(down.getString("status")).as(down.prettify()).isEqualTo("SUCCESS");
                gate.hold("/start");
                String stuck = pm.api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid");
                gate.awaitHeld(TASK);
                JsonPath abandoned = awaitPmTask(pm, stuck);
                assertThat(abandoned.getString("status")).isEqualTo("FAILURE");
                assertThat(abandoned.getString("error.code")).isEqualTo("TASK_INTERRUPTED");
                assertThat(abandoned.getString("error.message")).contains("atoll.master.task-running-limit");
                pm.api().get("/api/v1/vms/" + vm).then().body("currentOperation", nullValue()).body("powerState", equalTo("HALTED"));
                gate.release();
                MasterProcess m = pm;
                await("the late start is recorded by reconciliation", () -> "RUNNING".equals(path(() -> m.api().get("/api/v1/vms/" + vm),
                        "powerState")));
                pm.api().get("/api/v1/tasks/" + stuck).then().body("status", equalTo("FAILURE"));
                assertThat(Files.readString(pm.log("master-2.log"))).contains("already ended as FAILURE TASK_INTERRUPTED");

                JsonPath last = awaitPmTask(pm, pm.api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then()
                        .statusCode(202).extract().path("uuid"));
                assertThat(last.getString("status")).as(last.prettify()).isEqualTo("SUCCESS");
                assertThat(Qemus.under(other.root())).isEmpty();
                pm.stop();
            } finally {
                pm.close();
            }
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String vmRequest(String name, Path disk) {
        return """
                {"name": "%s", "memoryMiB": 32, "accelerator": "TCG", "disks": [{"path": "%s", "format": "raw", "bootIndex": 0}]}
                """.formatted(name, disk);
    }

    private String createVm(String name, Path disk) {
        return api().body(vmRequest(name, disk)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
    }

    /** A spec for the agent's own API (docs/node-agent.md). */
    private static String agentSpec(String uuid, String name, Path disk) {
        return """
                {"uuid": "%s", "name": "%s", "vcpus": 1, "memoryMiB": 32, "accelerator": "TCG",
                 "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0, "source": {"driver": "file", "filename": "%s"}}]}
                """.formatted(uuid, name, disk);
    }

    private RequestSpecification onAgent() {
        return on(agent);
    }

    /** A request to an agent's own API, around the master. */
    private static RequestSpecification on(NodeAgentProcess node) {
        return RestAssured.given().baseUri("http://127.0.0.1").port(node.port()).contentType("application/json");
    }

    private long pidOnAgent(String vm) {
        return ((Number) onAgent().get("/api/v1/vms/" + vm).then().statusCode(200).extract().path("pid")).longValue();
    }

    private static long eventToken() {
        return api().get("/api/v1/events").then().statusCode(200).extract().jsonPath().getLong("token");
    }

    /** The VM's {@code mod} events after {@code since}, as "STATE@HOST". */
    private static List<String> vmStates(String vm, long since) {
        List<Map<String, Object>> events = api().get("/api/v1/events?from=" + since + "&limit=10000").then().statusCode(200).extract()
                .jsonPath().getList("events.findAll { it.ref == '" + vm + "' && it.operation == 'mod' }.snapshot");
        return events.stream().map(s -> s.get("powerState") + "@" + s.get("residentOn")).toList();
    }

    /** The host health the VM's events showed after {@code since}, in order, repeats collapsed. */
    private static List<String> healthSeen(String vm, long since) {
        List<String> all = api().get("/api/v1/events?from=" + since + "&limit=10000").then().statusCode(200).extract()
                .jsonPath().getList("events.findAll { it.ref == '" + vm + "' }.snapshot.residentOnHealth");
        List<String> out = new java.util.ArrayList<>();
        for (String h : all) {
            if (out.isEmpty() || !out.get(out.size() - 1).equals(h)) {
                out.add(h);
            }
        }
        return out;
    }

    private static void awaitVm(String vm, String state, String on) throws InterruptedException {
        await("vm " + state + " on " + on, () -> {
            JsonPath now = api().get("/api/v1/vms/" + vm).then().extract().jsonPath();
            return state.equals(now.getString("powerState")) && java.util.Objects.equals(on, now.getString("residentOn"));
        });
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        Api.await(what, CONVERGE, condition);
    }

    private static String path(Supplier<io.restassured.response.Response> request, String path) {
        try {
            return request.get().then().extract().path(path);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Polls a task of the packaged master until it has finished (bounded). */
    private static JsonPath awaitPmTask(MasterProcess pm, String task) throws InterruptedException {
        long deadline = System.nanoTime() + TASK.toNanos();
        while (true) {
            JsonPath now = pm.api().get("/api/v1/tasks/" + task).then().statusCode(200).extract().jsonPath();
            if (!List.of("PENDING", "RUNNING").contains(now.getString("status"))) {
                return now;
            }
            assertThat(System.nanoTime()).as("task %s finished within %s (now %s)", task, TASK, now.prettify()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static JsonPath succeeded(String task) throws InterruptedException {
        return Api.succeeded(task, TASK);
    }

    /** A counter-guest VM (its disk a copy under the agent's directory) started by the master on the host. */
    private String startedVm(String name) throws Exception {
        Path disk = agent.root().resolve(name + ".img");
        Files.copy(TestGuests.counterImage(), disk);
        String vm = createVm(name, disk);
        succeeded(api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        return vm;
    }

    private static void hardShutdownAndDestroy(String vm) throws InterruptedException {
        String state = api().get("/api/v1/vms/" + vm).then().extract().path("powerState");
        if (!"HALTED".equals(state)) {
            succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202).extract().path("uuid"));
        }
        succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"));
    }

    /** Whatever a failed test left: VMs shut down hard and destroyed, the host ejected, the agent stopped. */
    @AfterAll
    void ejectAndStop() throws Exception {
        try {
            if (host != null) {
                Api.clearPool(master, host, TASK);
            }
        } finally {
            if (agent != null) {
                agent.close();
            }
        }
    }
}
