package io.atoll.agent;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.vm.VmManager;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The agent's HTTP API in process, against real QEMU: the calls an administrator or the pool
 * master makes, and the JSON errors for the calls it must refuse.
 */
@QuarkusTest
@io.quarkus.test.common.QuarkusTestResource(AgentDirs.class)
class NodeAgentApiTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    VmManager manager;

    @Inject
    AgentConfig config;

    @TestHTTPResource("/api/v1/events/stream")
    URL stream;

    private static Path disks;

    private String counterVm(String name) throws Exception {
        if (disks == null) {
            disks = Files.createTempDirectory(Path.of("/tmp"), "atoll-api-test-");
        }
        Path disk = disks.resolve(name + ".img");
        Files.copy(TestGuests.counterImage(), disk);
        return """
                {"name": "%s", "vcpus": 1, "memoryMiB": 32,
                 "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0,
                            "source": {"driver": "file", "filename": "%s"}}]}
                """.formatted(name, disk);
    }

    private static String create(String body) {
        return given().contentType(ContentType.JSON).body(body).post("/api/v1/vms")
                .then().statusCode(201).body("powerState", equalTo("HALTED")).extract().path("uuid");
    }

    private static void post(String uuid, String op, String expectedState) {
        given().contentType(ContentType.JSON).post("/api/v1/vms/" + uuid + "/" + op)
                .then().statusCode(200).body("powerState", equalTo(expectedState));
    }

    @Test
    void hostFacts() throws Exception {
        // The host's identity is the uuid in its host-uuid file, created at the agent's first start.
        String hostUuid = Files.readString(config.hostUuidFile()).trim();
        assertThat(UUID.fromString(hostUuid)).isNotNull();
        given().get("/api/v1/host").then().statusCode(200)
                .body("hostUuid", equalTo(hostUuid))
                .body("cpuCount", greaterThan(0))
                .body("memoryTotalBytes", greaterThan(0L))
                .body("kvm.reason", notNullValue())
                .body("defaultAccelerator", notNullValue())
                .body("qemuVersion", containsString("."));
    }

    @Test
    void storageAdaptersComeFromThePluginsFolder() {
        given().get("/api/v1/storage/adapters").then().statusCode(200)
                .body("adapters.type", org.hamcrest.Matchers.hasItem("local"))
                .body("adapters.find { it.type == 'local' }.behaviors", org.hamcrest.Matchers.hasItems("SUPPORTS_SNAPSHOT", "SUPPORTS_CBT"))
                .body("adapters.find { it.type == 'local' }.configKeys.name", org.hamcrest.Matchers.hasItem("path"))
                .body("refused", org.hamcrest.Matchers.empty());
    }

    @Test
    void aCounterVmThroughItsLifeOverHttp() throws Exception {
        String uuid = create(counterVm("api-counter"));
        given().get("/api/v1/vms").then().statusCode(200).body("name", org.hamcrest.Matchers.hasItem("api-counter"));

        post(uuid, "start", "RUNNING");
        var paths = manager.paths(UUID.fromString(uuid));
        GuestConsole console = new GuestConsole(paths.consoleLog(), null);
        console.awaitCounterAbove(3, WAIT);
        given().get("/api/v1/vms/" + uuid + "/console?lines=5").then().statusCode(200).body(containsString("ATOLL-COUNTER"));

        post(uuid, "pause", "PAUSED");
        post(uuid, "unpause", "RUNNING");
        post(uuid, "suspend", "SUSPENDED");
        post(uuid, "resume", "RUNNING");
        given().contentType(ContentType.JSON).body("{\"force\": true}").post("/api/v1/vms/" + uuid + "/reboot")
                .then().statusCode(200).body("powerState", equalTo("RUNNING"));
        given().contentType(ContentType.JSON).body("{\"force\": false, \"timeoutSeconds\": 1}").post("/api/v1/vms/" + uuid + "/shutdown")
                .then().statusCode(200).body("powerState", equalTo("HALTED"));
        given().get("/api/v1/events?from=0").then().statusCode(200)
                .body("findAll { it.vm == '" + uuid + "' }.powerState",
                        org.hamcrest.Matchers.hasItems("HALTED", "RUNNING", "PAUSED", "SUSPENDED"));
        given().delete("/api/v1/vms/" + uuid).then().statusCode(204);
        given().get("/api/v1/vms/" + uuid).then().statusCode(404).body("code", equalTo("VM_NOT_FOUND"));
    }

    @Test
    void theEventStreamCarriesChangesAsServerSentEvents() throws Exception {
        String uuid = create(counterVm("api-stream"));
        CompletableFuture<String> paused = CompletableFuture.supplyAsync(() -> {
            try {
                HttpURLConnection c = (HttpURLConnection) stream.openConnection();
                c.setReadTimeout((int) WAIT.toMillis());
                try (BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("data:") && line.contains(uuid) && line.contains("\"PAUSED\"")) {
                            return line;
                        }
                    }
                }
                return null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } 
        });
        Thread.sleep(500); // let the stream subscribe: events are not replayed without ?from=
        post(uuid, "start", "RUNNING");
        post(uuid, "pause", "PAUSED");
        assertThat(paused.get(WAIT.toSeconds(), TimeUnit.SECONDS)).contains("\"kind\":\"mod\"");
        given().contentType(ContentType.JSON).body("{\"force\": true}").post("/api/v1/vms/" + uuid + "/shutdown").then().statusCode(200);
        given().delete("/api/v1/vms/" + uuid).then().statusCode(204);
    }

    @Test
    void badRequestsGetJsonErrorsWithACodeAndTheFix() throws Exception {
        given().contentType(ContentType.JSON).body("{\"name\":\"zero\",\"vcpus\":0,\"memoryMiB\":64}").post("/api/v1/vms")
                .then().statusCode(400).body("code", equalTo("INVALID_SPEC"))
                .body("message", containsString("vm zero: vcpus is 0: set it between 1 and 255"));
        given().contentType(ContentType.JSON).body("{\"name\": ").post("/api/v1/vms")
                .then().statusCode(400).body("code", equalTo("INVALID_REQUEST")).body("message", containsString("malformed JSON"));
        given().contentType(ContentType.JSON).body("{\"name\":\"m\",\"vcpus\":1,\"memoryMiB\":64,"
                + "\"disks\":[{\"id\":\"disk0\",\"source\":{\"driver\":\"file\",\"filename\":\"/nonexistent/d.img\"}}]}").post("/api/v1/vms")
                .then().statusCode(400).body("code", equalTo("DISK_NOT_FOUND")).body("object", equalTo("disk disk0"));
        given().post("/api/v1/vms/" + UUID.randomUUID() + "/start")
                .then().statusCode(404).body("code", equalTo("VM_NOT_FOUND")).body("message", containsString("is not on this host"));
        given().get("/api/v1/vms/not-a-uuid").then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        given().get("/api/v1/vms/" + UUID.randomUUID() + "/console?lines=0").then().statusCode(400);

        String halted = counterVm("api-halted");
        String uuid = create(halted);
        given().post("/api/v1/vms/" + uuid + "/pause").then().statusCode(409)
                .body("code", equalTo("OPERATION_NOT_ALLOWED"))
                .body("message", containsString("is halted: 'pause' needs a VM that is running"))
                .body("object", containsString(uuid));
        given().contentType(ContentType.JSON).body(halted).post("/api/v1/vms")
                .then().statusCode(409).body("code", equalTo("VM_NAME_TAKEN"));
        given().delete("/api/v1/vms/" + uuid).then().statusCode(204);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (disks != null) {
            try (var files = Files.walk(disks)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
