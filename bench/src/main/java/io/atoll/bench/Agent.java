package io.atoll.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A node agent started from its packaged jar for a benchmark, on loopback, over a private tree. */
final class Agent implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    final Path root;
    final Process process;
    final String base;
    private final HttpClient http = HttpClient.newHttpClient();

    Agent(Path root) throws Exception {
        this.root = root;
        String jar = System.getProperty("atoll.agent.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("the node agent jar " + jar + " is missing: build first (mvn -DskipTests install)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        base = "http://127.0.0.1:" + port;
        process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.log.level=WARN", "-Dquarkus.log.category.\"io.atoll.vm\".level=INFO",
                "-Datoll.agent.state-dir=" + root.resolve("state"), "-Datoll.agent.run-dir=" + root.resolve("run"),
                "-Datoll.agent.plugins-dir=" + root.resolve("plugins"), "-Datoll.agent.storage-work-dir=" + root.resolve("storage"),
                "-Datoll.agent.host-uuid-file=" + root.resolve("host-uuid"),
                "-jar", jar))
                .redirectErrorStream(true).redirectOutput(root.resolve("agent.log").toFile()).start();
        QuarkusReady.await(process, base, Duration.ofSeconds(60), "the agent", () -> Files.readString(root.resolve("agent.log")));
    }

    JsonNode call(String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body)));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    /** Resident memory of the agent process, in MiB. */
    long rssMiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
