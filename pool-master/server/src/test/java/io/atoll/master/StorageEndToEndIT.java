package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The pool master with a real node agent, its {@code local} storage adapter and the Linux test
 * guest under TCG: a repository created through the API, a VM whose disk is made in it, data the
 * guest writes surviving a live snapshot, a revert, a clone and a VM made from a template — each
 * checked by the guest itself reading its disk — then everything destroyed, disks included, and
 * the repository with it.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StorageEndToEndIT {
    private static final Duration TASK = Duration.ofSeconds(90);
    private static final Duration GUEST = Duration.ofSeconds(60);
    private NodeAgentProcess agent;
    private String host;

    @TestHTTPResource
    URL master;

    @BeforeAll
    void startAgent() throws Exception {
        agent = NodeAgentProcess.start(false, true);
    }

    @Test
    void disksInARepositoryGoThroughSnapshotsRevertsClonesAndTemplates() throws Exception {
        host = api().body("{\"agentUrl\": \"" + agent.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
        Path srDir = agent.root().resolve("sr-local");
        Files.createDirectories(srDir);

        // A type the host does not serve is refused before anything is made.
        api().body("{\"name\": \"nope\", \"type\": \"ceph\", \"deviceConfig\": {}}").post("/api/v1/srs").then().statusCode(400)
                .body("code", equalTo("STORAGE_TYPE_UNKNOWN")).body("message", containsString("it has local"));
        String sr = api().body(Map.of("name", "local-e2e", "type", "local", "deviceConfig", Map.of("path", srDir.toString())))
                .post("/api/v1/srs").then().statusCode(201).body("shared", equalTo(false)).body("host", equalTo(host))
                .body("attachments", hasSize(1)).body("attachments[0].attached", equalTo(true)).extract().path("uuid");
        api().body(Map.of("name", "local-e2e", "type", "local", "deviceConfig", Map.of("path", srDir.toString())))
                .post("/api/v1/srs").then().statusCode(409).body("code", equalTo("SR_NAME_TAKEN"));

        // A VM whose disk is made in the repository at create.
        String vm = api().body(linuxVm("app", "{\"sr\": \"" + sr + "\", \"sizeBytes\": 67108864}")).post("/api/v1/vms").then().statusCode(201)
                .body("disks[0].virtualDisk", notNullValue()).extract().path("uuid");
        String vdi = api().get("/api/v1/vms/" + vm).then().extract().path("disks[0].virtualDisk");
        api().get("/api/v1/srs/" + sr + "/vdis").then().statusCode(200).body("uuid", hasItem(vdi));
        // Its disk is written by one VM only.
        api().body(linuxVm("thief", "{\"vdi\": \"" + vdi + "\"}")).post("/api/v1/vms").then().statusCode(409)
                .body("code", equalTo("VDI_IN_USE")).body("message", containsString("app"));

        // Running: the guest writes, a live snapshot is taken, the guest writes again.
        succeeded(api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        GuestConsole console = ready(vm);
        command(console, "write before 2", "ATOLL-GUEST WROTE before");
        JsonPath snap = succeeded(api().body("{\"name\": \"s1\"}").post("/api/v1/vms/" + vm + "/snapshot").then().statusCode(202)
                .extract().path("uuid"));
        String snapshot = snap.getString("result.uuid");
        assertThat(snap.getString("result.kind")).isEqualTo("snapshot");
        assertThat(snap.getString("result.snapshotOf")).isEqualTo(vm);
        String snapVdi = snap.getString("result.disks[0].virtualDisk");
        api().get("/api/v1/vdis/" + snapVdi).then().body("snapshotOf", equalTo(vdi)).body("readOnly", equalTo(true));
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("RUNNING"));
        command(console, "write after 2", "ATOLL-GUEST WROTE after");
        command(console, "verify after", "ATOLL-GUEST VERIFY after OK");
        // A snapshot's disk cannot go while the snapshot holds it; a revert needs the VM halted.
        api().delete("/api/v1/vdis/" + snapVdi).then().statusCode(409).body("code", equalTo("VDI_IN_USE"));
        api().body("{\"snapshot\": \"" + snapshot + "\"}").post("/api/v1/vms/" + vm + "/revert").then().statusCode(409)
                .body("code", equalTo("OPERATION_NOT_ALLOWED"));
        succeeded(api().body("{\"force\": false, \"timeoutSeconds\": 30}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202)
                .extract().path("uuid"));

        // Revert: "before" is there, "after" is gone.
        succeeded(api().body("{\"snapshot\": \"" + snapshot + "\"}").post("/api/v1/vms/" + vm + "/revert").then().statusCode(202)
                .extract().path("uuid"));
        succeeded(api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid"));
        console = ready(vm);
        command(console, "verify before", "ATOLL-GUEST VERIFY before OK");
        command(console, "verify after", "ATOLL-GUEST VERIFY after BAD");
        succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202).extract().path("uuid"));

        // A template from the VM, and a VM from the template (a linked clone): it reads what the template holds.
        String template = vm;
        api().post("/api/v1/vms/" + template + "/template").then().statusCode(200).body("kind", equalTo("template"));
        JsonPath cloned = succeeded(api().body("{\"name\": \"from-template\"}").post("/api/v1/vms/" + template + "/clone").then()
                .statusCode(202).extract().path("uuid"));
        String clone = cloned.getString("result.uuid");
        String cloneVdi = cloned.getString("result.disks[0].virtualDisk");
        assertThat(cloneVdi).isNotEqualTo(vdi);
        succeeded(api().post("/api/v1/vms/" + clone + "/start").then().statusCode(202).extract().path("uuid"));
        console = ready(clone);
        command(console, "verify before", "ATOLL-GUEST VERIFY before OK");
        command(console, "write mine 1", "ATOLL-GUEST WROTE mine");

        // The repository cannot go while VMs use it, nor detach while one runs there.
        api().delete("/api/v1/srs/" + sr).then().statusCode(409).body("code", equalTo("SR_IN_USE"));
        api().body("{\"host\": \"" + host + "\"}").post("/api/v1/srs/" + sr + "/detach").then().statusCode(409)
                .body("code", equalTo("SR_IN_USE")).body("message", containsString("from-template"));
        succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + clone + "/shutdown").then().statusCode(202).extract().path("uuid"));

        // Placement follows storage: detached from the only host, the clone cannot start; attached again, it can.
        api().body("{\"host\": \"" + host + "\"}").post("/api/v1/srs/" + sr + "/detach").then().statusCode(200)
                .body("attachments[0].attached", equalTo(false));
        JsonPath refused = awaitTask(api().post("/api/v1/vms/" + clone + "/start").then().statusCode(202).extract().path("uuid"), TASK);
        assertThat(refused.getString("error.code")).isEqualTo("NO_HOST_AVAILABLE");
        assertThat(refused.getString("error.message")).contains("storage repository local-e2e is not attached there");
        api().body("{\"host\": \"" + host + "\"}").post("/api/v1/srs/" + sr + "/attach").then().statusCode(200)
                .body("attachments[0].attached", equalTo(true));
        Number size = api().post("/api/v1/srs/" + sr + "/scan").then().statusCode(200).extract().path("physicalSize");
        assertThat(size.longValue()).as("the repository's size after a scan").isPositive();

        // Destroy everything with its disks: the snapshot, the clone, the template; then the repository.
        for (String id : List.of(snapshot, clone, template)) {
            succeeded(api().delete("/api/v1/vms/" + id + "?deleteDisks=true").then().statusCode(202).extract().path("uuid"));
        }
        api().get("/api/v1/srs/" + sr + "/vdis").then().statusCode(200).body("$", hasSize(0));
        api().delete("/api/v1/srs/" + sr).then().statusCode(204);
        api().get("/api/v1/srs").then().body("uuid", not(hasItem(sr)));
        assertThat(Qemus.under(agent.root())).isEmpty();
        RestAssured.given().baseUri("http://127.0.0.1").port(agent.port()).get("/api/v1/storage/srs").then().statusCode(200)
                .body("uuid", not(hasItem(sr)));
    }

    private static String linuxVm(String name, String disk) {
        return """
                {"name": "%s", "memoryMiB": 256, "accelerator": "TCG",
                 "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"},
                 "disks": [%s]}
                """.formatted(name, TestGuests.linuxKernel(), TestGuests.linuxInitrd(), TestGuests.LINUX_CMDLINE, disk);
    }

    private GuestConsole ready(String vm) {
        GuestConsole console = new GuestConsole(agent.consoleLog(vm), agent.consoleSocket(vm));
        console.await(l -> l.contains("ATOLL-GUEST READY disk=vda"), GUEST, "the Linux guest ready with its disk");
        return console;
    }

    private static void command(GuestConsole console, String command, String expectedPrefix) {
        String answerPrefix = String.join(" ", List.of(expectedPrefix.split(" ")).subList(0, 3));
        String answer = console.command(command, answerPrefix, GUEST);
        assertThat(answer).as(command).startsWith(expectedPrefix);
    }

    private static JsonPath succeeded(String task) throws InterruptedException {
        JsonPath done = awaitTask(task, TASK);
        assertThat(done.getString("status")).as("task %s: %s", task, done.prettify()).isEqualTo("SUCCESS");
        return done;
    }

    /** Whatever a failed test left: VMs shut down and destroyed with their disks, repositories destroyed, the host ejected. */
    @AfterAll
    void cleanUp() throws Exception {
        try {
            if (host != null) {
                RestAssured.baseURI = master.toString().replaceAll("/$", "");
                RestAssured.port = master.getPort();
                for (var vm : api().get("/api/v1/vms").then().extract().jsonPath().getList("", Map.class)) {
                    if (host.equals(vm.get("residentOn"))) {
                        awaitTask(api().body("{\"force\": true}").post("/api/v1/vms/" + vm.get("uuid") + "/shutdown").then()
                                .extract().path("uuid"), TASK);
                    }
                    awaitTask(api().delete("/api/v1/vms/" + vm.get("uuid") + "?deleteDisks=true").then().extract().path("uuid"), TASK);
                }
                for (var sr : api().get("/api/v1/srs").then().extract().jsonPath().getList("", Map.class)) {
                    api().delete("/api/v1/srs/" + sr.get("uuid"));
                }
                api().delete("/api/v1/hosts/" + host).then().statusCode(204);
            }
        } finally {
            if (agent != null) {
                agent.close();
            }
        }
    }
}
