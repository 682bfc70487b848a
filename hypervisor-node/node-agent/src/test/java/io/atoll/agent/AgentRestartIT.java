package io.atoll.agent;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
    private int port;
    private Process agent;

    @BeforeEach
    void dirs() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-restart-");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    private void startAgent(String logName) throws Exception {
        String jar = System.getProperty("atoll.agent.jar");
        assertThat(jar).as("system property atoll.agent.jar (set by the build)").isNotNull();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-Datoll.agent.state-dir=" + root.resolve("state"), "-Datoll.agent.run-dir=" + root.resolve("run"),
                "-Datoll.agent.plugins-dir=" + root.resolve("plugins"), "-Datoll.agent.storage-work-dir=" + root.resolve("storage"),
                "-Datoll.agent.host-uuid-file=" + root.resolve("host-uuid"),
                "-jar", jar));
        agent = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve(logName).toFile()).start();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            assertThat(agent.isAlive()).as("agent runs; log: %s", Files.readString(root.resolve(logName))).isTrue();
            try {
                if (api().get("/q/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (Exception notYet) { // RestAssured throws ConnectException undeclared
                // not listening yet
            }
            assertThat(System.nanoTime()).as("agent ready").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private RequestSpecification api() {
        return given().baseUri("http://127.0.0.1:" + port).contentType(ContentType.JSON);
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
        startAgent("agent-1.log");
        String running = createAndStart("keeps-running");
        String paused = createAndStart("stays-paused");
        api().post("/api/v1/vms/" + paused + "/pause").then().statusCode(200).body("powerState", equalTo("PAUSED"));
        long runningPid = pid(running);
        long pausedPid = pid(paused);
        GuestConsole console = new GuestConsole(root.resolve("state").resolve(running).resolve("console.log"), null);
        console.awaitCounterAbove(3, WAIT);

        // kill -9 of the agent: its VMs do not notice.
        agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertThat(ProcessHandle.of(runningPid).map(ProcessHandle::isAlive)).contains(true);
        assertThat(ProcessHandle.of(pausedPid).map(ProcessHandle::isAlive)).contains(true);
        long whileDown = console.awaitCounterAbove(console.lastCounter().orElseThrow() + 5, WAIT);

        // The restarted agent finds both, with the state each is really in.
        startAgent("agent-2.log");
        api().get("/api/v1/vms/" + running).then().statusCode(200)
                .body("powerState", equalTo("RUNNING")).body("pid", equalTo((int) runningPid));
        api().get("/api/v1/vms/" + paused).then().statusCode(200)
                .body("powerState", equalTo("PAUSED")).body("pid", equalTo((int) pausedPid));
        assertThat(Files.readString(root.resolve("agent-2.log"))).contains("adopted qemu pid " + runningPid);
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
        if (agent != null && agent.isAlive()) {
            agent.destroy();
            agent.waitFor(20, TimeUnit.SECONDS);
        }
        List<ProcessHandle> left = AgentDirs.qemusUnder(root);
        left.forEach(ProcessHandle::destroyForcibly);
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertThat(left).as("QEMU processes left").isEmpty();
    }
}
