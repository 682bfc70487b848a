package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
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
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Live migration driven by the pool master between two real node agents (two hosts on loopback)
 * with the counter guest under TCG on a disk both see: the counter goes on from where it was on
 * the other host; a cancelled migration leaves the VM running where it was; evacuating a host
 * (maintenance mode) moves its VMs away and disables it.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolMigrationIT {
    private static final Duration TASK = Duration.ofSeconds(90);
    private NodeAgentProcess agentA;
    private NodeAgentProcess agentB;
    private String hostA;
    private String hostB;
    private Path shared;

    @TestHTTPResource
    URL master;

    @BeforeAll
    void startAgents() throws Exception {
        agentA = NodeAgentProcess.start(false, true);
        agentB = NodeAgentProcess.start(false, true);
        shared = Files.createTempDirectory(Path.of("/tmp"), "atoll-shared-");
    }

    private void joinHosts() {
        if (hostA == null) {
            hostA = api().body("{\"agentUrl\": \"" + agentA.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
            hostB = api().body("{\"agentUrl\": \"" + agentB.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
        }
    }

    @Test
    void aRunningVmMovesWithItsDisksFromOneHostsLocalStorageToAnothers() throws Exception {
        joinHosts();
        String srA = localSr("local-a", hostA, agentA);
        String srB = localSr("local-b", hostB, agentB);
        String vm = api().body("""
                {"name": "storage-mover", "memoryMiB": 256, "accelerator": "TCG",
                 "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"},
                 "disks": [{"sr": "%s", "sizeBytes": 67108864}]}
                """.formatted(TestGuests.linuxKernel(), TestGuests.linuxInitrd(), TestGuests.LINUX_CMDLINE, srA))
                .post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        String oldDisk = api().get("/api/v1/vms/" + vm).then().extract().path("disks[0].virtualDisk");
        succeeded(api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        api().get("/api/v1/vms/" + vm).then().body("residentOn", equalTo(hostA));
        GuestConsole onA = new GuestConsole(agentA.consoleLog(vm), agentA.consoleSocket(vm));
        onA.await(l -> l.contains("ATOLL-GUEST READY disk=vda"), TASK, "the Linux guest ready");
        assertThat(onA.command("write moved 2", "ATOLL-GUEST WROTE moved", TASK)).startsWith("ATOLL-GUEST WROTE moved");

        // Without the sr, no other host sees the disk: placement says so.
        JsonPath stuck = awaitTask(api().post("/api/v1/vms/" + vm + "/migrate").then().statusCode(202).extract().path("uuid"), TASK);
        assertThat(stuck.getString("error.code")).isEqualTo("NO_HOST_AVAILABLE");
        assertThat(stuck.getString("error.message")).contains("storage repository local-a is not attached there");

        // With it, the disk is mirrored into a new disk there while the guest runs.
        JsonPath moved = succeeded(api().body("{\"sr\": \"" + srB + "\"}").post("/api/v1/vms/" + vm + "/migrate").then().statusCode(202)
                .extract().path("uuid"));
        assertThat(moved.getString("result.residentOn")).isEqualTo(hostB);
        String newDisk = moved.getString("result.disks[0].virtualDisk");
        assertThat(newDisk).isNotEqualTo(oldDisk);
        api().get("/api/v1/vdis/" + newDisk).then().body("sr", equalTo(srB));
        api().get("/api/v1/vdis/" + oldDisk).then().statusCode(404);
        GuestConsole onB = new GuestConsole(agentB.consoleLog(vm), agentB.consoleSocket(vm));
        assertThat(onB.command("verify moved", "ATOLL-GUEST VERIFY moved", TASK)).isEqualTo("ATOLL-GUEST VERIFY moved OK");

        succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202).extract().path("uuid"));
        succeeded(api().delete("/api/v1/vms/" + vm + "?deleteDisks=true").then().statusCode(202).extract().path("uuid"));
        api().delete("/api/v1/srs/" + srA).then().statusCode(204);
        api().delete("/api/v1/srs/" + srB).then().statusCode(204);
    }

    private String localSr(String name, String host, NodeAgentProcess agent) throws java.io.IOException {
        Path dir = Files.createDirectories(agent.root().resolve(name));
        return api().body(Map.of("name", name, "type", "local", "host", host, "deviceConfig", Map.of("path", dir.toString())))
                .post("/api/v1/srs").then().statusCode(201).extract().path("uuid");
    }

    @Test
    void aRunningVmMovesBetweenHostsAndBackByEvacuation() throws Exception {
        joinHosts();
        Path disk = shared.resolve("counter.img");
        Files.copy(TestGuests.counterImage(), disk);
        String vm = api().body("""
                {"name": "mover", "memoryMiB": 32, "accelerator": "TCG", "disks": [{"path": "%s", "format": "raw", "bootIndex": 0}]}
                """.formatted(disk)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        succeeded(api().body("{\"host\": \"" + hostA + "\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        GuestConsole onA = new GuestConsole(agentA.consoleLog(vm), null);
        onA.awaitCounterAbove(3, TASK);

        // Migrate: placement picks the other host; the counter goes on there from where it was.
        api().get("/api/v1/vms/" + vm).then().body("allowedOperations", org.hamcrest.Matchers.hasItem("pool_migrate"));
        // (A's console log goes with the VM's state on A: read it before.)
        long beforeMigration = onA.lastCounter().orElseThrow();
        JsonPath moved = succeeded(api().post("/api/v1/vms/" + vm + "/migrate").then().statusCode(202)
                .body("name", equalTo("vm.pool_migrate")).extract().path("uuid"));
        assertThat(moved.getString("result.residentOn")).isEqualTo(hostB);
        assertThat(moved.getString("result.powerState")).isEqualTo("RUNNING");
        GuestConsole onB = new GuestConsole(agentB.consoleLog(vm), null);
        long firstOnB = onB.awaitCounterAbove(0, TASK);
        assertThat(firstOnB).as("the counter continues from RAM (on A before: %d)", beforeMigration).isGreaterThan(beforeMigration);
        onB.awaitCounterAbove(firstOnB + 3, TASK);
        agent(agentA, vm).then().statusCode(404);
        agent(agentB, vm).then().statusCode(200).body("powerState", equalTo("RUNNING"));

        // Named onto the host it runs on: refused, and it runs on.
        JsonPath same = awaitTask(api().body("{\"host\": \"" + hostB + "\"}").post("/api/v1/vms/" + vm + "/migrate").then().statusCode(202)
                .extract().path("uuid"), TASK);
        assertThat(same.getString("error.code")).isEqualTo("HOST_NOT_AVAILABLE");
        api().get("/api/v1/vms/" + vm).then().body("residentOn", equalTo(hostB)).body("powerState", equalTo("RUNNING"))
                .body("currentOperation", org.hamcrest.Matchers.nullValue());
        api().post("/api/v1/vms/" + vm + "/migrate/cancel").then().statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"));

        // Maintenance mode on B: disabled, the VM moves back to A.
        JsonPath evacuated = succeeded(api().post("/api/v1/hosts/" + hostB + "/evacuate").then().statusCode(202)
                .body("name", equalTo("host.evacuate")).extract().path("uuid"));
        assertThat(evacuated.getMap("result.migrated")).containsEntry(vm, hostA);
        api().get("/api/v1/hosts/" + hostB).then().body("enabled", equalTo(false));
        api().get("/api/v1/vms/" + vm).then().body("residentOn", equalTo(hostA)).body("powerState", equalTo("RUNNING"));
        // A disabled host takes no migration either.
        JsonPath refused = awaitTask(api().post("/api/v1/vms/" + vm + "/migrate").then().statusCode(202).extract().path("uuid"), TASK);
        assertThat(refused.getString("error.code")).isEqualTo("NO_HOST_AVAILABLE");
        // Nowhere to go: evacuating A is refused before anything changes (A stays enabled).
        api().post("/api/v1/hosts/" + hostA + "/evacuate").then().statusCode(409).body("code", equalTo("NO_HOST_AVAILABLE"))
                .body("message", org.hamcrest.Matchers.containsString("no room"));
        api().get("/api/v1/hosts/" + hostA).then().body("enabled", equalTo(true));
        api().body("{\"batch\": 0}").post("/api/v1/hosts/" + hostA + "/evacuate").then().statusCode(400);
        api().post("/api/v1/hosts/" + hostB + "/enable").then().statusCode(200);

        succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202).extract().path("uuid"));
        succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"));
        assertThat(Qemus.under(agentA.root())).isEmpty();
        assertThat(Qemus.under(agentB.root())).isEmpty();
    }

    private static io.restassured.response.Response agent(NodeAgentProcess agent, String vm) {
        return RestAssured.given().baseUri("http://127.0.0.1").port(agent.port()).get("/api/v1/vms/" + vm);
    }

    private static JsonPath succeeded(String task) throws InterruptedException {
        JsonPath done = awaitTask(task, TASK);
        assertThat(done.getString("status")).as("task %s: %s", task, done.prettify()).isEqualTo("SUCCESS");
        return done;
    }

    @AfterAll
    void cleanUp() throws Exception {
        try {
            RestAssured.baseURI = master.toString().replaceAll("/$", "");
            RestAssured.port = master.getPort();
            for (var vm : api().get("/api/v1/vms").then().extract().jsonPath().getList("", Map.class)) {
                if (vm.get("residentOn") != null) {
                    awaitTask(api().body("{\"force\": true}").post("/api/v1/vms/" + vm.get("uuid") + "/shutdown").then()
                            .extract().path("uuid"), TASK);
                }
                awaitTask(api().delete("/api/v1/vms/" + vm.get("uuid") + "?deleteDisks=true").then().extract().path("uuid"), TASK);
            }
            for (var sr : api().get("/api/v1/srs").then().extract().jsonPath().getList("", Map.class)) {
                api().delete("/api/v1/srs/" + sr.get("uuid"));
            }
            for (String h : new String[] {hostA, hostB}) {
                if (h != null) {
                    api().delete("/api/v1/hosts/" + h);
                }
            }
        } finally {
            for (NodeAgentProcess a : new NodeAgentProcess[] {agentA, agentB}) {
                if (a != null) {
                    a.close();
                }
            }
            if (shared != null) {
                try (var files = Files.walk(shared)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
