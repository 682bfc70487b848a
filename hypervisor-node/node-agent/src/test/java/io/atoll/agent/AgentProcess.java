package io.atoll.agent;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A node agent from its packaged jar, as a separate process on loopback, over its own directory tree. */
final class AgentProcess implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(30);
    private final Path root;
    private final int port;
    private final String namespace;
    private final String address;
    private final java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
    private Process process;
    private int starts;

    AgentProcess(Path root) throws IOException {
        this(root, null, "127.0.0.1");
    }

    /**
     * An agent inside a network namespace ({@code ip netns exec NS java …}): it, its QEMUs and its
     * network commands see only that namespace; the test reaches it at {@code address}.
     */
    AgentProcess(Path root, String namespace, String address) throws IOException {
        this.namespace = namespace;
        this.address = address;
        this.root = Files.createDirectories(root);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    Path root() {
        return root;
    }

    /** An extra {@code -Dname=value} for the agent's next starts (e.g. another plugins directory). */
    AgentProcess property(String name, String value) {
        properties.put(name, value);
        return this;
    }

    /** The agent's JVM while it runs. */
    Process process() {
        return process;
    }

    /** Starts the agent and waits until it is ready; its output goes to agent-N.log. */
    AgentProcess start() throws Exception {
        String jar = System.getProperty("atoll.agent.jar");
        assertThat(jar).as("system property atoll.agent.jar (set by the build)").isNotNull();
        Path log = root.resolve("agent-" + (++starts) + ".log");
        List<String> argv = new java.util.ArrayList<>();
        if (namespace != null) {
            argv.addAll(List.of("ip", "netns", "exec", namespace));
        }
        argv.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=" + address,
                "-Datoll.agent.network-dir=" + root.resolve("networks"),
                "-Datoll.agent.state-dir=" + root.resolve("state"), "-Datoll.agent.run-dir=" + root.resolve("run"),
                "-Datoll.agent.plugins-dir=" + System.getProperty("atoll.test.plugins-dir", root.resolve("plugins").toString()), "-Datoll.agent.storage-work-dir=" + root.resolve("storage"),
                "-Datoll.agent.host-uuid-file=" + root.resolve("host-uuid")));
        properties.forEach((k, v) -> argv.add("-D" + k + "=" + v));
        argv.addAll(List.of("-jar", jar));
        process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + READY.toNanos();
        while (true) {
            assertThat(process.isAlive()).as("agent runs; log: %s", Files.readString(log)).isTrue();
            try {
                if (api().get("/q/health/ready").statusCode() == 200) {
                    return this;
                }
            } catch (Exception notYet) { // RestAssured throws ConnectException undeclared
                // not listening yet
            }
            assertThat(System.nanoTime()).as("agent ready").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The log of the agent's latest start. */
    String log() throws IOException {
        return Files.readString(root.resolve("agent-" + starts + ".log"));
    }

    RequestSpecification api() {
        return given().baseUri("http://" + address + ":" + port).contentType(ContentType.JSON);
    }

    /** SIGKILL: the agent has no chance to do anything. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** Stops the agent (its VMs keep running), ends every QEMU started under its tree, deletes the tree. */
    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor(20, TimeUnit.SECONDS);
        }
        List<ProcessHandle> left = AgentDirs.qemusUnder(root);
        left.forEach(ProcessHandle::destroyForcibly);
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertThat(left).as("QEMU processes left under %s", root).isEmpty();
    }
}
