package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.master.testing.Api;
import io.atoll.master.testing.NetnsHosts;
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
 * Two hosts each in its own network namespace, joined to a management bridge and a migration
 * bridge by veth pairs (NetnsHosts): the master reaches the agents over the management network,
 * migrations cross the migration network (the hosts' migration addresses) — the bridges' byte
 * counters show which carried the guest's memory. The counter guest continues across the move; a
 * second migration while one runs is refused; a cancelled migration leaves the VM on its source.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NetnsMigrationIT {
    private static final Duration TASK = Duration.ofSeconds(120);
    private NetnsHosts net;
    private NodeAgentProcess agentA;
    private NodeAgentProcess agentB;
    private String hostA;
    private String hostB;
    private Path shared;

    @TestHTTPResource
    URL master;

    @BeforeAll
    void startHosts() throws Exception {
        net = NetnsHosts.create(2);
        agentA = NodeAgentProcess.start(false, false, net.namespace(0), net.address(0));
        agentB = NodeAgentProcess.start(false, false, net.namespace(1), net.address(1));
        shared = Files.createTempDirectory(Path.of("/tmp"), "atoll-netns-shared-");
    }

    @Test
    void migrationsCrossTheMigrationNetworkBetweenNamespaces() throws Exception {
        hostA = api().body("{\"agentUrl\": \"" + agentA.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
        hostB = api().body("{\"agentUrl\": \"" + agentB.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
        api().body("{\"address\": \"" + net.migrationAddress(0) + "\"}").put("/api/v1/hosts/" + hostA + "/migration-address").then()
                .statusCode(200).body("migrationAddress", equalTo(net.migrationAddress(0)));
        api().body("{\"address\": \"" + net.migrationAddress(1) + "\"}").put("/api/v1/hosts/" + hostB + "/migration-address").then()
                .statusCode(200);
        api().body("{\"address\": \"not an address\"}").put("/api/v1/hosts/" + hostB + "/migration-address").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC"));

        Path disk = shared.resolve("counter.img");
        Files.copy(TestGuests.counterImage(), disk);
        String vm = api().body("""
                {"name": "crosser", "memoryMiB": 64, "accelerator": "TCG", "disks": [{"path": "%s", "format": "raw", "bootIndex": 0}]}
                """.formatted(disk)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        succeeded(api().body("{\"host\": \"" + hostA + "\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        GuestConsole onA = new GuestConsole(agentA.consoleLog(vm), null);
        onA.awaitCounterAbove(3, TASK);
        long before = onA.lastCounter().orElseThrow();

        // Migrate to B; a second migration while it runs is refused, naming the first.
        long migrationBytes = net.migrationBytes();
        long managementBytes = net.managementBytes();
        String task = api().post("/api/v1/vms/" + vm + "/migrate").then().statusCode(202).extract().path("uuid");
        api().post("/api/v1/vms/" + vm + "/migrate").then().statusCode(409).body("code", equalTo("OTHER_OPERATION_IN_PROGRESS"))
                .body("message", containsString("pool_migrate is in progress (task " + task + ")"));
        JsonPath moved = succeeded(task);
        assertThat(moved.getString("result.residentOn")).isEqualTo(hostB);
        GuestConsole onB = new GuestConsole(agentB.consoleLog(vm), null);
        long first = onB.awaitCounterAbove(0, TASK);
        assertThat(first).as("the counter goes on from where it was on A (%d)", before).isGreaterThan(before);
        onB.awaitCounterAbove(first + 3, TASK);
        long carried = net.migrationBytes() - migrationBytes;
        long managed = net.managementBytes() - managementBytes;
        assertThat(carried).as("bytes over the migration network (management: %d)", managed).isGreaterThan(64 * 1024).isGreaterThan(managed);

        // A Linux guest (tens of MiB of memory that is not zero) moved with a 1 MiB/s cap, cancelled mid-way: it stays on A.
        String linux = api().body("""
                {"name": "cancelled", "memoryMiB": 256, "accelerator": "TCG",
                 "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"}}
                """.formatted(TestGuests.linuxKernel(), TestGuests.linuxInitrd(), TestGuests.LINUX_CMDLINE))
                .post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        succeeded(api().body("{\"host\": \"" + hostA + "\"}").post("/api/v1/vms/" + linux + "/start").then().statusCode(202).extract().path("uuid"));
        new GuestConsole(agentA.consoleLog(linux), null).await(l -> l.contains("ATOLL-GUEST READY"), TASK, "the Linux guest ready");
        String slow = api().body("{\"bandwidthMiBps\": 1}").post("/api/v1/vms/" + linux + "/migrate").then().statusCode(202)
                .extract().path("uuid");
        Api.await("the migration under way", TASK, () -> {
            JsonPath t = api().get("/api/v1/tasks/" + slow).then().extract().jsonPath();
            return t.getDouble("progress") >= 0.1 || !"RUNNING".equals(t.getString("status")) && !"PENDING".equals(t.getString("status"));
        });
        api().post("/api/v1/vms/" + linux + "/migrate/cancel").then().statusCode(202);
        JsonPath cancelled = awaitTask(slow, TASK);
        assertThat(cancelled.getString("status")).as(cancelled.prettify()).isEqualTo("FAILURE");
        assertThat(cancelled.getString("error.message")).contains("MIGRATION_CANCELLED");
        api().get("/api/v1/vms/" + linux).then().body("residentOn", equalTo(hostA)).body("powerState", equalTo("RUNNING"))
                .body("currentOperation", org.hamcrest.Matchers.nullValue());
        RestAssured.given().baseUri(agentA.url()).port(agentA.port()).get("/api/v1/vms/" + linux).then().statusCode(200).body("powerState", equalTo("RUNNING"));
        RestAssured.given().baseUri(agentB.url()).port(agentB.port()).get("/api/v1/vms/" + linux).then().statusCode(404);
        succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + linux + "/shutdown").then().statusCode(202).extract().path("uuid"));

        succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202).extract().path("uuid"));
        succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"));
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
                awaitTask(api().delete("/api/v1/vms/" + vm.get("uuid")).then().extract().path("uuid"), TASK);
            }
            for (String h : new String[] {hostA, hostB}) {
                if (h != null) {
                    api().delete("/api/v1/hosts/" + h);
                }
            }
        } finally {
            try {
                for (NodeAgentProcess a : new NodeAgentProcess[] {agentA, agentB}) {
                    if (a != null) {
                        a.close();
                    }
                }
            } finally {
                if (net != null) {
                    net.close();
                }
                if (shared != null) {
                    try (var files = Files.walk(shared)) {
                        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            }
        }
    }
}
