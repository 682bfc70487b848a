package io.atoll.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live migration between two agent processes over their HTTP APIs, as the pool master drives it:
 * the target waits, the source sends, the counter guest counts on at the target.
 */
class AgentMigrationIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private Path root;
    private AgentProcess source;
    private AgentProcess target;

    @BeforeEach
    void agents() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-mig-");
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
            Files.deleteIfExists(root.resolve("shared.img"));
            Files.deleteIfExists(root);
        }
    }

    @Test
    void aRunningVmMovesBetweenAgents() throws Exception {
        Path disk = root.resolve("shared.img");
        Files.copy(TestGuests.counterImage(), disk);
        String spec = """
                {"name": "traveller", "vcpus": 1, "memoryMiB": 32,
                 "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0, "source": {"driver": "file", "filename": "%s"}}]}
                """.formatted(disk);
        String uuid = source.api().body(spec).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        source.api().post("/api/v1/vms/" + uuid + "/start").then().statusCode(200);
        new GuestConsole(source.root().resolve("state").resolve(uuid).resolve("console.log"), null).awaitCounterAbove(3, WAIT);
        Map<String, Object> vmSpec = source.api().get("/api/v1/vms/" + uuid).then().statusCode(200).extract().jsonPath().getMap("spec");

        String uri = target.api().body(Map.of("spec", vmSpec, "listenAddress", "127.0.0.1")).post("/api/v1/vms/incoming")
                .then().statusCode(200).body("uri", startsWith("tcp:127.0.0.1:")).extract().path("uri");
        source.api().body(Map.of("uri", uri)).post("/api/v1/vms/" + uuid + "/migrate").then().statusCode(200)
                .body("powerState", equalTo("HALTED"));
        source.api().get("/api/v1/vms/" + uuid).then().statusCode(404);

        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!"RUNNING".equals(target.api().get("/api/v1/vms/" + uuid).then().extract().path("powerState"))) {
            assertThat(System.nanoTime()).as("running on the target").isLessThan(deadline);
            Thread.sleep(20);
        }
        GuestConsole there = new GuestConsole(target.root().resolve("state").resolve(uuid).resolve("console.log"), null);
        there.awaitCounterAbove(5, WAIT);
        assertThat(there.counterBoots()).isZero();
        target.api().body(Map.of("force", true)).post("/api/v1/vms/" + uuid + "/shutdown").then().statusCode(200);
    }
}
