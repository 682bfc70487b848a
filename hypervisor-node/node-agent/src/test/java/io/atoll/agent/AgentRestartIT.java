package io.atoll.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged agent, killed with SIGKILL while VMs run: the VMs keep running, and the restarted
 * agent adopts them with their true state (one running, one paused) and drives them again.
 */
class AgentRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private Path root;
    private AgentProcess agent;

    @BeforeEach
    void dirs() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-restart-");
        agent = new AgentProcess(root);
    }

    private RequestSpecification api() {
        return agent.api();
    }

    private String createAndStart(String name) throws IOException {
        Path disk = root.resolve(name + ".img");
        Files.copy(TestGuests.counterImage(), disk);
        String body = """
                {"name": "%s", "vcpus": 1, "memoryMiB": 32,
                 "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0, "source": {"driver": "file", "filename": "%s"}}]}
                """.formatted(name, disk);
        String uuid = api().body(body).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        api().post("/api/v1/vms/" + uuid + "/start").then().statusCode(200).body("powerState", equalTo("RUNNING"));
        return uuid;
    }

    private long pid(String uuid) {
        return ((Number) api().get("/api/v1/vms/" + uuid).then().statusCode(200).extract().path("pid")).longValue();
    }

    @Test
    void vmsOutliveAKilledAgentAndAreAdoptedWithTheirTrueState() throws Exception {
        agent.start();
        String running = createAndStart("keeps-running");
        String paused = createAndStart("stays-paused");
        api().post("/api/v1/vms/" + paused + "/pause").then().statusCode(200).body("powerState", equalTo("PAUSED"));
        long runningPid = pid(running);
        long pausedPid = pid(paused);
        GuestConsole console = new GuestConsole(root.resolve("state").resolve(running).resolve("console.log"), null);
        console.awaitCounterAbove(3, WAIT);

        // kill -9 of the agent: its VMs do not notice.
        agent.kill();
        assertThat(ProcessHandle.of(runningPid).map(ProcessHandle::isAlive)).contains(true);
        assertThat(ProcessHandle.of(pausedPid).map(ProcessHandle::isAlive)).contains(true);
        long whileDown = console.awaitCounterAbove(console.lastCounter().orElseThrow() + 5, WAIT);

        // The restarted agent finds both, with the state each is really in.
        agent.start();
        api().get("/api/v1/vms/" + running).then().statusCode(200)
                .body("powerState", equalTo("RUNNING")).body("pid", equalTo((int) runningPid));
        api().get("/api/v1/vms/" + paused).then().statusCode(200)
                .body("powerState", equalTo("PAUSED")).body("pid", equalTo((int) pausedPid));
        assertThat(agent.log()).contains("adopted qemu pid " + runningPid);
        console.awaitCounterAbove(whileDown + 3, WAIT);
        List<Long> values = console.counterValues();
        for (int i = 1; i < values.size(); i++) {
            assertThat(values.get(i)).isEqualTo(values.get(i - 1) + 1);
        }

        // It drives them again, and sees a QEMU die.
        api().post("/api/v1/vms/" + paused + "/unpause").then().statusCode(200).body("powerState", equalTo("RUNNING"));
        ProcessHandle.of(runningPid).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!"CRASHED".equals(api().get("/api/v1/vms/" + running).then().extract().path("powerState"))) {
            assertThat(System.nanoTime()).as("crash detected").isLessThan(deadline);
            Thread.sleep(50);
        }
        api().get("/api/v1/vms/" + running).then().body("crashReason", org.hamcrest.Matchers.containsString("exited unexpectedly"));

        api().body("{\"force\": true}").post("/api/v1/vms/" + paused + "/shutdown").then().statusCode(200).body("powerState", equalTo("HALTED"));
        api().delete("/api/v1/vms/" + paused).then().statusCode(204);
        api().delete("/api/v1/vms/" + running).then().statusCode(204);
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
    }
}
