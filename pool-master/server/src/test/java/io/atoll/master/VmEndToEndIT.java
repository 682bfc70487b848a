package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.nullValue;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.master.testing.Api;
import io.atoll.master.testing.NodeAgentProcess;
import io.atoll.master.testing.PostgresServer;
import io.atoll.master.testing.Qemus;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The pool master driving a real node agent and real QEMU (TCG): the counter test guest goes
 * through its whole life by tasks, and what the master says is checked against what the host
 * runs and what the guest prints.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmEndToEndIT {
    private static final Duration TASK = Duration.ofSeconds(60);
    private NodeAgentProcess agent;
    private String host;

    /** The master's URL; RestAssured's port is set only around each test, and the host is ejected after all. */
    @TestHTTPResource
    URL master;

    @BeforeAll
    void startAgent() throws Exception {
        agent = NodeAgentProcess.start(false);
    }

    /** Joins the agent's host once, in the first test that needs it. */
    @BeforeEach
    void joinHost() {
        if (host == null) {
            host = api().body("{\"agentUrl\": \"" + agent.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
        }
    }

    @Test
    void theCounterGuestGoesThroughItsLifeByTasks() throws Exception {
        Path disk = agent.root().resolve("counter.img");
        Files.copy(TestGuests.counterImage(), disk);
        String vm = api().body("""
                {"name": "counter", "memoryMiB": 32, "accelerator": "TCG",
                 "disks": [{"path": "%s", "format": "raw", "bootIndex": 0}]}
                """.formatted(disk)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");

        // Start: placement picks the only host; the task succeeds; the host runs a QEMU for it.
        var start = api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract();
        assertThat(start.header("Location")).endsWith("/api/v1/tasks/" + start.path("uuid"));
        JsonPath started = succeeded(start.path("uuid"));
        assertThat(started.getString("result.powerState")).isEqualTo("RUNNING");
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("RUNNING")).body("residentOn", equalTo(host))
                .body("currentOperation", nullValue())
                .body("allowedOperations", equalTo(List.of("clean_shutdown", "hard_shutdown", "clean_reboot", "hard_reboot", "pause", "suspend", "pool_migrate", "snapshot")));
        onAgent(vm).then().statusCode(200).body("powerState", equalTo("RUNNING")).body("pid", greaterThan(0));
        GuestConsole console = new GuestConsole(agent.consoleLog(vm), null);
        console.awaitCounterAbove(3, TASK);

        // A host with a VM on it cannot be ejected.
        api().delete("/api/v1/hosts/" + host).then().statusCode(409).body("code", equalTo("HOST_HAS_RESIDENT_VMS"))
                .body("message", containsString("counter"));

        // Pause, unpause, suspend (the VM stays resident on its host), resume: the counter goes on from RAM.
        run(vm, "pause", null, "PAUSED");
        run(vm, "unpause", null, "RUNNING");
        run(vm, "suspend", null, "SUSPENDED");
        api().get("/api/v1/vms/" + vm).then().body("residentOn", equalTo(host)).body("allowedOperations", equalTo(List.of("hard_shutdown", "resume")));
        long beforeResume = console.lastCounter().orElseThrow();
        run(vm, "resume", null, "RUNNING");
        console.awaitCounterAbove(beforeResume + 3, TASK);
        run(vm, "reboot", "{\"force\": true}", "RUNNING");

        // A clean shutdown the counter guest ignores (no ACPI): it turns hard after 2 s. Meanwhile the
        // VM is busy, and a second operation is refused naming the one in progress.
        String shutdown = api().body("{\"timeoutSeconds\": 2}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202)
                .body("name", equalTo("vm.clean_shutdown")).extract().path("uuid");
        api().post("/api/v1/vms/" + vm + "/pause").then().statusCode(409).body("code", equalTo("OTHER_OPERATION_IN_PROGRESS"))
                .body("message", containsString("clean_shutdown is in progress (task " + shutdown + ")")).body("object", equalTo("vm " + vm));
        api().get("/api/v1/vms/" + vm).then().body("currentOperation.operation", equalTo("clean_shutdown"))
                .body("currentOperation.task", equalTo(shutdown)).body("allowedOperations", equalTo(List.of()));
        assertThat(succeeded(shutdown).getString("result.powerState")).isEqualTo("HALTED");
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED")).body("residentOn", nullValue());
        // A halted VM lives in the pool database only.
        onAgent(vm).then().statusCode(404).body("code", equalTo("VM_NOT_FOUND"));
        assertThat(Qemus.under(agent.root())).isEmpty();

        // Start again (defined afresh on the host), then the hard way down.
        succeeded(api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        long pid = ((Number) onAgent(vm).then().body("powerState", equalTo("RUNNING")).extract().path("pid")).longValue();
        run(vm, "shutdown", "{\"force\": true}", "HALTED");
        assertThat(Qemus.running(pid)).as("QEMU pid %d ended", pid).isFalse();
        assertThat(Qemus.under(agent.root())).isEmpty();

        succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"));
        assertThat(Files.exists(disk)).as("destroy keeps the disk file").isTrue();
    }

    @Test
    void aQemuThatDiesIsSeenAsCrashedAndAcknowledgedByAHardShutdown() throws Exception {
        Path disk = agent.root().resolve("crash.img");
        Files.copy(TestGuests.counterImage(), disk);
        String vm = api().body("""
                {"name": "crashes", "memoryMiB": 32, "accelerator": "TCG", "disks": [{"path": "%s", "bootIndex": 0}]}
                """.formatted(disk)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        succeeded(api().body("{\"host\": \"" + host + "\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        long pid = ((Number) onAgent(vm).then().extract().path("pid")).longValue();

        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        // The host monitor follows what the agent reports.
        Api.await("vm CRASHED in the pool", TASK, () -> "CRASHED".equals(api().get("/api/v1/vms/" + vm).then().extract().path("powerState")));
        api().get("/api/v1/vms/" + vm).then().body("residentOn", equalTo(host)).body("allowedOperations", equalTo(List.of("hard_shutdown")));
        run(vm, "shutdown", "{\"force\": true}", "HALTED");
        succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"));
    }

    @Test
    void placementRefusesAVmNoHostCanHold() throws Exception {
        String vm = api().body("{\"name\": \"too-big\", \"memoryMiB\": 10000000}").post("/api/v1/vms").then().statusCode(201)
                .extract().path("uuid");
        JsonPath any = awaitTask(api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"), TASK);
        assertThat(any.getString("status")).isEqualTo("FAILURE");
        assertThat(any.getString("error.code")).isEqualTo("NO_HOST_AVAILABLE");
        assertThat(any.getString("error.message")).contains("no host can start vm " + vm).contains("host " + host)
                .contains("MiB free for VMs, the VM needs 10000000 MiB");
        JsonPath named = awaitTask(api().body("{\"host\": \"" + host + "\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(202)
                .extract().path("uuid"), TASK);
        assertThat(named.getString("error.code")).isEqualTo("HOST_NOT_AVAILABLE");
        // Refused starts leave the VM as it was, unlocked, and nothing on the host.
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED")).body("currentOperation", nullValue());
        onAgent(vm).then().statusCode(404);
        succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"));
    }

    /** Asks for an operation, waits for its task to succeed, and checks the VM's power state. */
    private void run(String vm, String operation, String body, String expected) throws InterruptedException {
        var request = body == null ? api() : api().body(body);
        String task = request.post("/api/v1/vms/" + vm + "/" + operation).then().statusCode(202).extract().path("uuid");
        assertThat(succeeded(task).getString("result.powerState")).as(operation).isEqualTo(expected);
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo(expected));
        String onHost = onAgent(vm).then().extract().path("powerState");
        if (!expected.equals("HALTED")) {
            assertThat(onHost).as("the host agrees after %s", operation).isEqualTo(expected);
        }
    }

    private JsonPath succeeded(String task) throws InterruptedException {
        return Api.succeeded(task, TASK);
    }

    private io.restassured.response.Response onAgent(String vm) {
        return RestAssured.given().baseUri("http://127.0.0.1").port(agent.port()).get("/api/v1/vms/" + vm);
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
