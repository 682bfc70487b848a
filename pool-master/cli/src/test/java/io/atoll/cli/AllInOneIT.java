package io.atoll.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, as a new user runs it: {@code bin/atoll-pool} (on free loopback
 * ports and a temporary home) starts the master and this host's agent, joins the agent with a join
 * token, makes the local repository and the Linux-guest template; then, with the CLI only, a VM is
 * created from the template and started, the guest boots from its cloned disk, and the VM goes
 * away with its disks. The script is stopped as a user would (SIGTERM: its trap stops master and
 * agent by PID), and nothing it started is left.
 */
class AllInOneIT {
    private static final Duration READY = Duration.ofMinutes(5);
    private Path tmp;
    private Process pool;
    private int masterPort;
    private Map<String, String> env;

    @BeforeEach
    void start() throws Exception {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "atoll-aio-");
        masterPort = freePort();
        env = Map.of("ATOLL_HOME", tmp.resolve("home").toString(), "ATOLL_RUN_DIR", tmp.resolve("run").toString(),
                "ATOLL_MASTER_PORT", Integer.toString(masterPort), "ATOLL_AGENT_PORT", Integer.toString(freePort()),
                "XDG_CONFIG_HOME", tmp.resolve("config").toString(), "ATOLL_SERVER", "http://127.0.0.1:" + masterPort);
        Path root = Path.of(System.getProperty("atoll.test.root")).toRealPath();
        ProcessBuilder pb = new ProcessBuilder(root.resolve("bin/atoll-pool").toString()).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("pool.log").toFile());
        pb.environment().putAll(env);
        pool = pb.start();
    }

    @Test
    void theReadmesFirstCommandGivesAPoolWhereAVmStartsFromTheTemplate() throws Exception {
        String log = awaitLog("Atoll pool: http://127.0.0.1:" + masterPort + "/api/v1");
        assertThat(log).contains("admin password:  " + tmp.resolve("home/master/admin-password"));
        assertThat(Files.getPosixFilePermissions(tmp.resolve("home/master/admin-password")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        assertThat(log).doesNotContain(Files.readString(tmp.resolve("home/master/admin-password")).trim());

        JsonNode hosts = json(atoll("host", "list", "-o", "json"));
        assertThat(hosts).hasSize(1);
        assertThat(hosts.get(0).path("health").asText()).isEqualTo("ONLINE");
        JsonNode templates = json(atoll("vm", "list", "--templates", "-o", "json"));
        assertThat(templates.findValuesAsText("name")).contains("linux-test-guest");

        String uuid = atoll("vm", "create", "web1", "--template", "linux-test-guest").lines().reduce((a, b) -> b).orElseThrow().trim();
        atoll("vm", "start", "web1");
        JsonNode vm = json(atoll("vm", "show", "web1", "-o", "json"));
        assertThat(vm.path("uuid").asText()).isEqualTo(uuid);
        assertThat(vm.path("powerState").asText()).isEqualTo("RUNNING");
        assertThat(vm.path("residentOn").asText()).isEqualTo(hosts.get(0).path("uuid").asText());
        Path console = tmp.resolve("home/agent/state").resolve(uuid).resolve("console.log");
        awaitFile(console, "ATOLL-GUEST READY disk=vda");

        atoll("vm", "shutdown", "web1", "--force");
        atoll("vm", "destroy", "web1", "--delete-disks");
        assertThat(json(atoll("vm", "list", "-o", "json")).findValuesAsText("name")).doesNotContain("web1");
    }

    private String atoll(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("atoll.test.launcher")));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("atoll %s: %s", String.join(" ", args), out).isZero();
        return out;
    }

    private static JsonNode json(String out) throws IOException {
        return MasterClient.JSON.readTree(out);
    }

    private String awaitLog(String line) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            String log = Files.readString(tmp.resolve("pool.log"));
            if (log.contains(line)) {
                return log;
            }
            assertThat(pool.isAlive()).as("bin/atoll-pool ended early:\n%s", log).isTrue();
            Thread.sleep(500);
        }
        throw new AssertionError("bin/atoll-pool did not print '" + line + "' within " + READY + ":\n" + Files.readString(tmp.resolve("pool.log")));
    }

    private static void awaitFile(Path file, String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.ISO_8859_1).contains(text)) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError(file + " does not show '" + text + "'");
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (pool != null) {
                List<ProcessHandle> children = pool.descendants().filter(h -> h.info().command().orElse("").endsWith("java")).toList();
                pool.destroy(); // SIGTERM: the script's trap stops the master and the agent by their PIDs
                if (!pool.waitFor(60, TimeUnit.SECONDS)) {
                    pool.destroyForcibly();
                }
                for (ProcessHandle child : children) {
                    child.onExit().get(30, TimeUnit.SECONDS);
                }
                assertThat(children).allMatch(h -> !h.isAlive());
            }
            // A VM the test could not stop: end its QEMU (started under our run dir) by PID.
            try (var files = Files.exists(tmp.resolve("run")) ? Files.walk(tmp.resolve("run")) : java.util.stream.Stream.<Path>empty()) {
                for (Path pid : files.filter(f -> f.getFileName().toString().equals("qemu.pid")).toList()) {
                    ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        } finally {
            try (var files = Files.walk(tmp)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
