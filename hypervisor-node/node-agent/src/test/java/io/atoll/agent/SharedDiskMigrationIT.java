package io.atoll.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two agents attach one repository (a directory both reach, as shared storage). A VM writing one
 * of its disks on the first migrates live to the second: the target takes the disk over from the
 * source (StorageRepository#attachForIncomingMigration), the source lets go after the switch-over,
 * and from then on the disk is the target's alone — the source can no longer open it read-write.
 */
class SharedDiskMigrationIT {
    private Path root;
    private AgentProcess source;
    private AgentProcess target;

    @BeforeEach
    void agents() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-srmig-");
        source = new AgentProcess(root.resolve("a")).start();
        target = new AgentProcess(root.resolve("b")).start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            try {
                source.close(); // fails when it had to end a QEMU the test left: the target must still be stopped
            } finally {
                target.close();
            }
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aVmWritingARepositoryDiskMigratesAndTheTargetTakesTheDiskOver() throws Exception {
        String sr = UUID.randomUUID().toString();
        Map<String, String> location = Map.of("path", root.resolve("shared-sr").toString());
        source.api().body(Map.of("name", "shared", "type", "local", "create", true, "deviceConfig", location))
                .put("/api/v1/storage/srs/" + sr).then().statusCode(200);
        target.api().body(Map.of("name", "shared", "type", "local", "deviceConfig", location))
                .put("/api/v1/storage/srs/" + sr).then().statusCode(200);
        String disk = source.api().body(Map.of("name", "data", "virtualSize", 16L << 20)).post("/api/v1/storage/srs/" + sr + "/disks")
                .then().statusCode(201).extract().path("id");
        Path boot = root.resolve("counter.img");
        Files.copy(TestGuests.counterImage(), boot);
        String spec = """
                {"name": "traveller", "vcpus": 1, "memoryMiB": 32, "accelerator": "TCG",
                 "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0, "source": {"driver": "file", "filename": "%s"}},
                           {"id": "disk1", "source": {"driver": "atoll-vdi", "sr": "%s", "vdi": "%s"}}]}
                """.formatted(boot, sr, disk);
        String uuid = source.api().body(spec).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        source.api().post("/api/v1/vms/" + uuid + "/start").then().statusCode(200);
        Map<String, Object> vmSpec = source.api().get("/api/v1/vms/" + uuid).then().statusCode(200).extract().jsonPath().getMap("spec");

        var incoming = target.api().body(Map.of("spec", vmSpec, "listenAddress", "127.0.0.1")).post("/api/v1/vms/incoming");
        assertThat(incoming.statusCode()).as(incoming.asString()).isEqualTo(200);
        String uri = incoming.path("uri");
        source.api().body(Map.of("uri", uri)).post("/api/v1/vms/" + uuid + "/migrate").then().statusCode(200);
        // The target runs the guest once it has seen the migration complete, a moment after the source did.
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (!"RUNNING".equals(target.api().get("/api/v1/vms/" + uuid).then().statusCode(200).extract().path("powerState"))) {
            assertThat(System.nanoTime()).as("vm %s running on the target", uuid).isLessThan(deadline);
            Thread.sleep(20);
        }
        source.api().get("/api/v1/vms/" + uuid).then().statusCode(404);
        assertThat(AgentDirs.qemusUnder(source.root().resolve("run"))).isEmpty();

        // The disk is the target's now: the source cannot start the VM on it again while it runs there.
        source.api().body(vmSpec).post("/api/v1/vms").then().statusCode(201);
        source.api().post("/api/v1/vms/" + uuid + "/start").then().statusCode(409).body("code", equalTo("STORAGE_IN_USE"))
                .body("message", containsString("read-write on host"));
        assertThat(AgentDirs.qemusUnder(source.root().resolve("run"))).isEmpty();
        source.api().delete("/api/v1/vms/" + uuid).then().statusCode(204);

        target.api().body(Map.of("force", true)).post("/api/v1/vms/" + uuid + "/shutdown").then().statusCode(200);
        target.api().delete("/api/v1/vms/" + uuid).then().statusCode(204);
        target.api().delete("/api/v1/storage/srs/" + sr).then().statusCode(204);
        source.api().delete("/api/v1/storage/srs/" + sr + "?destroy=true").then().statusCode(204);
    }
}
