package io.atoll.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.atoll.guests.TestGuests;
import io.restassured.specification.RequestSpecification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged agent, killed with SIGKILL while VMs run on repository disks: the restarted agent
 * attaches its repositories again (one whose storage vanished is reported missing, the agent starts
 * regardless), knows the adopted VM still holds its disk (live snapshot through it, revert and
 * detach refused), and releases the disk of a VM whose QEMU died while no agent ran. The
 * device-config's secret is kept in a private file and appears in no answer and no log line.
 */
class StorageRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private Path root;
    private AgentProcess agent;

    @BeforeEach
    void dirs() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-srrestart-");
        agent = new AgentProcess(root);
    }

    @AfterEach
    void stop() throws Exception {
        agent.close(); // ends its QEMUs and deletes the whole tree, the repositories' directories too
    }

    private RequestSpecification api() {
        return agent.api();
    }

    private String attach(String name, Map<String, String> deviceConfig) {
        String uuid = UUID.randomUUID().toString();
        api().body(Map.of("name", name, "type", "local", "create", true, "deviceConfig", deviceConfig))
                .put("/api/v1/storage/srs/" + uuid).then().statusCode(200).body("uuid", equalTo(uuid));
        return uuid;
    }

    private String createDisk(String sr, String name) {
        return api().body(Map.of("name", name, "virtualSize", 16L << 20)).post("/api/v1/storage/srs/" + sr + "/disks")
                .then().statusCode(201).extract().path("id");
    }

    /** The counter guest from a file, with the repository disk as disk1. */
    private String startVm(String name, String sr, String vdi) throws Exception {
        Path boot = root.resolve(name + ".img");
        Files.copy(TestGuests.counterImage(), boot);
        String body = """
                {"name": "%s", "vcpus": 1, "memoryMiB": 32, "accelerator": "TCG",
                 "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0, "source": {"driver": "file", "filename": "%s"}},
                           {"id": "disk1", "source": {"driver": "atoll-vdi", "sr": "%s", "vdi": "%s"}}]}
                """.formatted(name, boot, sr, vdi);
        String uuid = api().body(body).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        api().post("/api/v1/vms/" + uuid + "/start").then().statusCode(200).body("powerState", equalTo("RUNNING"));
        return uuid;
    }

    private long pid(String vm) {
        return ((Number) api().get("/api/v1/vms/" + vm).then().statusCode(200).extract().path("pid")).longValue();
    }

    @Test
    void repositoriesAndTheDisksOfRunningVmsSurviveAKilledAgent() throws Exception {
        agent.start();
        String secret = "chap-" + UUID.randomUUID();
        String sr = attach("keep", Map.of("path", root.resolve("sr-keep").toString(), "chap-password", secret));
        String doomed = attach("doomed", Map.of("path", root.resolve("sr-doomed").toString()));
        String disk = createDisk(sr, "runs-on");
        String other = createDisk(sr, "dies-on");
        String vm = startVm("keeps-running", sr, disk);
        String dies = startVm("dies-while-down", sr, other);
        long vmPid = pid(vm);
        long diesPid = pid(dies);

        // kill -9 of the agent; one QEMU dies and one repository's storage vanishes while it is down.
        agent.kill();
        ProcessHandle.of(diesPid).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        });
        try (var files = Files.walk(root.resolve("sr-doomed"))) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        agent.start();

        api().get("/api/v1/storage/srs/" + sr).then().statusCode(200).body("name", equalTo("keep"));
        api().get("/api/v1/storage/srs").then().statusCode(200).body("uuid", hasItem(sr)).body("uuid", not(hasItem(doomed)))
                .body(not(containsString(secret)));
        api().get("/api/v1/storage/srs/" + doomed).then().statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"))
                .body("message", containsString("missing"));
        api().get("/api/v1/vms/" + vm).then().statusCode(200).body("powerState", equalTo("RUNNING")).body("pid", equalTo((int) vmPid));
        assertThat(agent.log()).contains("adopted qemu pid " + vmPid);
        api().get("/api/v1/vms/" + dies).then().statusCode(200).body("powerState", equalTo("CRASHED"));

        // The crashed VM's disk was released: it can grow (refused while attached).
        api().body(Map.of("virtualSize", 32L << 20)).post("/api/v1/storage/srs/" + sr + "/disks/" + other + "/resize")
                .then().statusCode(200);
        // The adopted VM holds its disk: snapshots go through its QEMU, revert and detach are refused.
        String snap = api().body(Map.of("name", "after-restart")).post("/api/v1/storage/srs/" + sr + "/disks/" + disk + "/snapshot")
                .then().statusCode(200).body("snapshotOf", equalTo(disk)).extract().path("id");
        api().body(Map.of("snapshotId", snap)).post("/api/v1/storage/srs/" + sr + "/disks/" + disk + "/revert")
                .then().statusCode(409).body("code", equalTo("STORAGE_IN_USE")).body("message", containsString("keeps-running"));
        api().delete("/api/v1/storage/srs/" + sr).then().statusCode(409).body("code", equalTo("STORAGE_IN_USE"));

        api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(200).body("powerState", equalTo("HALTED"));
        api().body(Map.of("snapshotId", snap)).post("/api/v1/storage/srs/" + sr + "/disks/" + disk + "/revert").then().statusCode(200);

        // The secret is kept privately and nowhere else.
        Path saved = root.resolve("state").resolve("storage-repositories.json");
        assertThat(Files.getPosixFilePermissions(saved)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(saved)).contains(secret);
        assertThat(Files.readString(root.resolve("agent-1.log"))).doesNotContain(secret);
        assertThat(agent.log()).doesNotContain(secret).contains("storage repository doomed (" + doomed + ", local): missing");

        api().delete("/api/v1/storage/srs/" + doomed).then().statusCode(204);
        api().get("/api/v1/storage/srs/" + doomed).then().statusCode(404).body("message", containsString("is not attached"));
        api().body("{\"force\": true}").post("/api/v1/vms/" + dies + "/shutdown").then().statusCode(200);
        api().delete("/api/v1/vms/" + vm).then().statusCode(204);
        api().delete("/api/v1/vms/" + dies).then().statusCode(204);
        api().delete("/api/v1/storage/srs/" + sr + "?destroy=true").then().statusCode(204);
        assertThat(Files.readString(saved)).doesNotContain(sr).doesNotContain(doomed);
    }
}
