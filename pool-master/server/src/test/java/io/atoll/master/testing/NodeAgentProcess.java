package io.atoll.master.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real node agent for the master's tests: the packaged agent jar (system property
 * {@code atoll.agent.jar}, set by the build) started as its own process on a free loopback port,
 * with its state, run, plugin and storage directories under one temporary directory (short, for
 * QEMU's unix socket paths). {@link #close()} stops it by its pid, ends any QEMU started from its
 * directories — and then fails, since a test must not leave one — and deletes the directory.
 */
public final class NodeAgentProcess implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(60);

    private final Path root;
    private final String host;
    private final int port;
    private final List<String> command;
    private Process process;
    private final Path token;

    private NodeAgentProcess(Path root, String host, int port, List<String> command, Path token) {
        this.root = root;
        this.host = host;
        this.port = port;
        this.command = List.copyOf(command);
        this.token = token;
    }

    /** Starts an agent; with {@code withToken} it requires the bearer token it writes to its token file. */
    public static NodeAgentProcess start(boolean withToken) throws IOException, InterruptedException {
        return start(withToken, false);
    }

    /**
     * Starts an agent; with {@code withStorage} it loads the storage plugins built in this tree
     * (system property {@code atoll.test.plugins-dir}: the {@code local} adapter), read-only.
     */
    public static NodeAgentProcess start(boolean withToken, boolean withStorage) throws IOException, InterruptedException {
        return start(withToken, withStorage, null, "127.0.0.1");
    }

    /**
     * Starts an agent inside network namespace {@code namespace} (made by {@link NetnsHosts}),
     * listening on {@code address} there; its QEMU processes live in that namespace too.
     * {@code ip netns exec} execs the JVM, so the process's pid is the agent's.
     */
    public static NodeAgentProcess start(boolean withToken, boolean withStorage, String namespace, String address)
            throws IOException, InterruptedException {
        return start(withToken, withStorage ? Path.of(pluginsDir()) : null, namespace, address, List.of());
    }

    /**
     * The same with a plugins directory of the caller's ({@code null}: none) and extra {@code -D}
     * settings ({@code name=value}).
     */
    public static NodeAgentProcess start(boolean withToken, Path plugins, String namespace, String address, List<String> properties)
            throws IOException, InterruptedException {
        String jar = System.getProperty("atoll.agent.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("the node agent jar (system property atoll.agent.jar = " + jar + ") is missing: build it with "
                    + "`mvn -q -o install -DskipTests` at the project root (hypervisor-node/node-agent)");
        }
        Path root = Files.createTempDirectory(Path.of("/tmp"), "atoll-ma-");
        int port = namespace == null ? Commands.freePort() : 7401;
        Path token = withToken ? root.resolve("agent.token") : null;
        List<String> cmd = new ArrayList<>(namespace == null ? List.of() : List.of("ip", "netns", "exec", namespace));
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=" + address,
                "-Datoll.agent.state-dir=" + root.resolve("state"), "-Datoll.agent.run-dir=" + root.resolve("run"),
                "-Datoll.agent.network-dir=" + root.resolve("networks"),
                "-Datoll.agent.plugins-dir=" + (plugins != null ? plugins : root.resolve("plugins")), "-Datoll.agent.storage-work-dir=" + root.resolve("storage"),
                "-Datoll.agent.host-uuid-file=" + root.resolve("host-uuid"),
                "-Datoll.agent.clean-shutdown-timeout=5s"));
        if (token != null) {
            cmd.add("-Datoll.agent.token-file=" + token);
        }
        properties.forEach(p -> cmd.add("-D" + p));
        cmd.addAll(List.of("-jar", jar));
        NodeAgentProcess agent = new NodeAgentProcess(root, address, port, cmd, token);
        agent.launch();
        return agent;
    }

    private void launch() throws IOException, InterruptedException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("agent.log").toFile())).start();
        awaitReady();
    }

    /**
     * Starts the agent again after {@link #kill()}: same port, directories and host identity, as a
     * host's service manager would. It re-adopts the VMs whose QEMU still runs.
     */
    public void restart() throws IOException, InterruptedException {
        if (process.isAlive()) {
            throw new IllegalStateException("the agent still runs (pid " + process.pid() + "): kill it first");
        }
        launch();
    }

    static String pluginsDir() {
        String dir = System.getProperty("atoll.test.plugins-dir");
        if (dir == null || !Files.isDirectory(Path.of(dir))) {
            throw new IllegalStateException("the storage plugins (system property atoll.test.plugins-dir = " + dir
                    + ") are missing: build storage-adapters/local first");
        }
        return dir;
    }

    private void awaitReady() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String log = Files.readString(root.resolve("agent.log"));
                close();
                throw new IllegalStateException("the node agent exited with " + process.exitValue() + ":\n" + log);
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        close();
        throw new IllegalStateException("the node agent was not ready within " + READY.toSeconds() + " s");
    }

    public String url() {
        return "http://" + host + ":" + port;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public Path root() {
        return root;
    }

    /** The agent's console log of a VM (the guest's serial output). */
    public Path consoleLog(String vmUuid) {
        return root.resolve("state").resolve(vmUuid).resolve("console.log");
    }

    /** The socket of a running VM's serial console (to send the Linux guest commands). */
    public Path consoleSocket(String vmUuid) {
        return root.resolve("run").resolve(vmUuid).resolve("serial.sock");
    }

    /** The token the agent requires (its token file), once it has created it. */
    public String token() throws IOException {
        return Files.readString(token, StandardCharsets.UTF_8).trim();
    }

    /** Kills the agent at once (SIGKILL), as a crash would; its VMs keep running. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ProcessHandle> left = Qemus.under(root);
        left.forEach(ProcessHandle::destroyForcibly);
        Commands.deleteTree(root);
        if (!left.isEmpty()) {
            throw new AssertionError("QEMU processes were left running under " + root + ": " + left.stream().map(ProcessHandle::pid).toList());
        }
    }
}
