package io.atoll.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The CLI against the real pool master: the packaged application (copied to a temp directory, so
 * a rebuild of the server meanwhile cannot pull it away) in its default profile, embedded H2 under
 * a temp {@code atoll.master.data-dir}, on a free loopback port. A pool without hosts: VMs can be
 * created, listed and destroyed, and a start fails as a task — the error path of a long operation.
 * If the master authenticates (its first admin's password in DATA_DIR/admin-password), the
 * scenario logs in first, as a user would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliAgainstMasterIT {
    private static final String VM = "cli-it-vm";

    private Path root;
    private Path data;
    private Path config;
    private String server;
    private Process master;
    private String vmUuid;

    @BeforeAll
    void startMaster() throws Exception {
        String app = System.getProperty("atoll.test.master-app");
        assertThat(app).as("system property atoll.test.master-app (set by the pom)").isNotNull();
        assertThat(Path.of(app, "quarkus-run.jar")).as("the packaged master: build pool-master/server first").exists();
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-cli-it-");
        data = root.resolve("data");
        config = root.resolve("config").resolve("atoll");
        copyTree(Path.of(app), root.resolve("app"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        server = "http://127.0.0.1:" + port;
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1", "-Datoll.master.data-dir=" + data,
                "-jar", root.resolve("app").resolve("quarkus-run.jar").toString());
        master = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve("master.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            assertThat(master.isAlive()).as("master runs; log: %s", log()).isTrue();
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(server + "/q/health/ready")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            assertThat(System.nanoTime()).as("master ready within 90 s; log: %s", log()).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private String log() throws IOException {
        return Files.readString(root.resolve("master.log"));
    }

    /** One CLI run in this JVM, against the master, with the test's own credentials directory. */
    private TestContext atoll(String... args) {
        TestContext run = new TestContext(config, Map.of("ATOLL_SERVER", server));
        run.run(args);
        return run;
    }

    @Test
    @Order(1)
    void loginWhereTheMasterAuthenticates() throws Exception {
        Path password = data.resolve("admin-password");
        TestContext run = new TestContext(config, Map.of("ATOLL_SERVER", server));
        if (Files.exists(password)) {
            assertThat(run.run("login", "--user", "admin", "--password-file", password.toString())).as(run.err()).isZero();
            assertThat(run.err()).contains("logged in to " + server + " as admin");
            Path file = config.resolve("credentials");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(Files.readString(file)).contains("token=").doesNotContain(Files.readString(password).strip());
            TestContext refused = new TestContext(config, Map.of("ATOLL_SERVER", server));
            assertThat(refused.run("vm", "list", "--token", "not-a-token")).isEqualTo(1);
            assertThat(refused.err()).startsWith("error: UNAUTHORIZED: ").contains("atoll login --user NAME");
        } else {
            // This master has no users yet: login says so instead of pretending.
            assertThat(run.run("login", "--user", "admin", "--password-file", root.resolve("master.log").toString())).isEqualTo(1);
            assertThat(run.err()).contains("error: NOT_SUPPORTED: the pool master at " + server + " has no login endpoint");
        }
    }

    @Test
    @Order(2)
    void createAndListAVm() throws Exception {
        TestContext create = atoll("vm", "create", VM, "--memory", "64M", "--disk", "/srv/cli-it.qcow2,boot=1", "--nic", "user");
        assertThat(create.err()).isEmpty();
        vmUuid = create.out().strip();
        assertThat(VmCommand.isUuid(vmUuid)).as("vm create prints the uuid: %s", create.out()).isTrue();

        TestContext table = atoll("vm", "list");
        assertThat(table.out().lines().findFirst().orElseThrow()).matches("UUID +NAME +POWER-STATE +VCPUS +MEMORY +HOST +OPERATION +ADDRESSES");
        assertThat(table.out()).containsPattern(vmUuid + " +" + VM + " +HALTED +1 +64 MiB +- +-");

        TestContext json = atoll("vm", "list", "--output", "json");
        JsonNode vms = MasterClient.JSON.readTree(json.out());
        assertThat(vms.isArray()).isTrue();
        assertThat(vms.findValuesAsText("name")).contains(VM);

        TestContext show = atoll("vm", "show", VM);
        assertThat(show.out()).containsPattern("(?m)^uuid: +" + vmUuid + "$").containsPattern("(?m)^disks\\[0\\]\\.format: +qcow2$");

        TestContext taken = new TestContext(config, Map.of("ATOLL_SERVER", server));
        assertThat(taken.run("vm", "create", VM, "--memory", "64")).isEqualTo(1);
        assertThat(taken.err()).contains("error: VM_NAME_TAKEN: ");
    }

    @Test
    @Order(3)
    void aStartWithoutHostsFailsAsATaskWithTheServersCode() throws Exception {
        TestContext start = new TestContext(config, Map.of("ATOLL_SERVER", server));
        assertThat(start.run("vm", "start", VM)).isEqualTo(1);
        assertThat(start.err()).contains("vm.start [").contains("FAILURE").containsPattern("(?m)^error: NO_HOST_AVAILABLE: .+$");
        assertThat(start.out()).isEmpty();

        TestContext async = atoll("vm", "start", vmUuid, "--async");
        String task = async.out().strip();
        assertThat(VmCommand.isUuid(task)).as("--async prints the task: %s%s", async.out(), async.err()).isTrue();
        TestContext show = atoll("task", "show", task);
        assertThat(show.out()).containsPattern("(?m)^name: +vm.start$");

        TestContext tasks = atoll("task", "list");
        assertThat(tasks.out()).containsPattern("vm\\.start +FAILURE +\\d+% +vm " + vmUuid + " +\\S+ \\S+ +NO_HOST_AVAILABLE");
        TestContext failures = atoll("task", "list", "--status", "failure", "-o", "json");
        assertThat(MasterClient.JSON.readTree(failures.out()).findValuesAsText("status")).isNotEmpty().containsOnly("FAILURE");
    }

    @Test
    @Order(4)
    void hostsSrsAndEvents() throws Exception {
        TestContext hosts = atoll("host", "list");
        assertThat(hosts.out()).startsWith("UUID   NAME   ADDRESS");
        TestContext noHost = new TestContext(config, Map.of("ATOLL_SERVER", server));
        assertThat(noHost.run("host", "show", "nowhere")).isEqualTo(1);
        assertThat(noHost.err()).contains("error: HOST_NOT_FOUND: no host is named 'nowhere'");

        TestContext srs = new TestContext(config, Map.of("ATOLL_SERVER", server));
        int code = srs.run("sr", "list");
        if (code != 0) { // the master has no SR API yet: said so, never shown as an empty list
            assertThat(code).isEqualTo(1);
            assertThat(srs.err()).contains("error: NOT_SUPPORTED: the pool master at " + server + " has no storage repository API yet");
        }

        TestContext events = atoll("event", "watch", "--from", "0", "--count", "3", "--output", "json");
        List<String> lines = events.out().lines().toList();
        assertThat(lines).as(events.err()).hasSize(3);
        for (String line : lines) {
            assertThat(MasterClient.JSON.readTree(line).path("id").asLong()).isPositive();
        }
        TestContext table = atoll("event", "watch", "--from", "0", "--count", "2", "--class", "vm");
        assertThat(table.out().lines().skip(1).toList()).hasSize(2).allMatch(l -> l.matches("\\d+ +\\S+ \\S+ vm .*"));
    }

    @Test
    @Order(4)
    void networksAndVifs() throws Exception {
        TestContext create = atoll("network", "create", "cli-net", "--subnet", "10.199.7.0/24", "--vni", "7007");
        assertThat(create.err()).isEmpty();
        String net = create.out().strip();
        assertThat(VmCommand.isUuid(net)).as("network create prints the uuid: %s", create.out()).isTrue();
        assertThat(atoll("network", "list").out()).containsPattern(net + " +cli-net +PRIVATE +xapi\\d+ +7007 +10\\.199\\.7\\.0/24 +0");
        assertThat(atoll("network", "show", "cli-net").out()).containsPattern("(?m)^subnet: +10\\.199\\.7\\.0/24$");
        TestContext taken = new TestContext(config, Map.of("ATOLL_SERVER", server));
        assertThat(taken.run("network", "create", "cli-net-2", "--vni", "7007")).isEqualTo(1);
        assertThat(taken.err()).contains("error: NETWORK_VNI_TAKEN: ").contains("cli-net");

        // A VIF on it, plugged into the halted VM: the network cannot go until it is unplugged.
        TestContext plug = atoll("vm", "vif-plug", VM, "cli-net", "--rate", "2048");
        assertThat(plug.err()).contains("vm.vif_plug [").contains("SUCCESS");
        assertThat(atoll("vm", "show", VM).out()).containsPattern("(?m)^nics\\[1\\]\\.network: +" + net + "$")
                .containsPattern("(?m)^nics\\[1\\]\\.rateKbit: +2048$");
        TestContext inUse = new TestContext(config, Map.of("ATOLL_SERVER", server));
        assertThat(inUse.run("network", "destroy", "cli-net")).isEqualTo(1);
        assertThat(inUse.err()).contains("error: NETWORK_IN_USE: ").contains(VM);
        assertThat(atoll("vm", "vif-unplug", VM, "nic1").err()).contains("SUCCESS");
        assertThat(atoll("network", "destroy", "cli-net").err()).isEmpty();
        assertThat(atoll("network", "list").out()).doesNotContain("cli-net");
    }

    @Test
    @Order(5)
    void destroyAndUnknownVms() {
        TestContext destroy = atoll("vm", "destroy", vmUuid);
        assertThat(destroy.err()).contains("vm.destroy [").contains("SUCCESS");
        assertThat(atoll("vm", "list").out()).doesNotContain(VM);

        TestContext byName = new TestContext(config, Map.of("ATOLL_SERVER", server));
        assertThat(byName.run("vm", "start", VM)).isEqualTo(1);
        assertThat(byName.err().strip()).isEqualTo("error: VM_NOT_FOUND: no VM is named '" + VM + "' (atoll vm list shows them) (vm " + VM + ")");
        TestContext byUuid = new TestContext(config, Map.of("ATOLL_SERVER", server));
        assertThat(byUuid.run("vm", "show", UUID.randomUUID().toString())).isEqualTo(1);
        assertThat(byUuid.err()).startsWith("error: VM_NOT_FOUND: ");
    }

    @Test
    @Order(6)
    void theLauncherRunsThePackagedJar() throws Exception {
        Path launcher = Path.of(System.getProperty("atoll.test.launcher"));
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "vm", "list", "-o", "json").redirectErrorStream(true);
        pb.environment().put("ATOLL_SERVER", server);
        pb.environment().put("XDG_CONFIG_HOME", config.getParent().toString());
        Process cli = pb.start();
        String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cli.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(cli.exitValue()).as(out).isZero();
        assertThat(MasterClient.JSON.readTree(out).isArray()).isTrue();
    }

    @Test
    @Order(7)
    void aHostJoinsItselfWithAJoinToken() throws Exception {
        UUID hostUuid = UUID.randomUUID();
        Path agentToken = Files.writeString(root.resolve("agent.token"), "agent-s3cret\n");
        try (HttpAgent agent = new HttpAgent(hostUuid, "agent-s3cret")) {
            // A pool-admin makes a token for one host...
            JsonNode issued = MasterClient.JSON.readTree(atoll("pool", "join-token", "create", "--expires-in", "10m", "-o", "json").out());
            String id = issued.path("id").asText();
            String token = issued.path("token").asText();
            assertThat(token).startsWith("atj_");
            assertThat(issued.path("usesLeft").asInt()).isEqualTo(1);
            TestContext list = atoll("pool", "join-token", "list");
            assertThat(list.out().lines().findFirst().orElseThrow()).matches("ID +STATE +USES-LEFT +USES +EXPIRES +CREATED-BY");
            assertThat(list.out()).containsPattern(id + " +VALID +1 +1 +\\S+ \\S+ +admin").doesNotContain(token);

            // ...and on the host, with no login at all (a config directory of its own), the token joins it.
            Path hostConfig = root.resolve("host-config");
            TestContext join = new TestContext(hostConfig, Map.of());
            assertThat(join.run("host", "join", "--master", server, "--token", token, "--agent-url", agent.url(),
                    "--agent-token-file", agentToken.toString())).as(join.err()).isZero();
            assertThat(join.out().strip()).isEqualTo(hostUuid.toString());
            assertThat(atoll("host", "show", hostUuid.toString()).out()).containsPattern("(?m)^agentUrl: +" + agent.url() + "$");

            // Its one use is gone: a second join is refused, saying why, with no hint to log in.
            TestContext again = new TestContext(hostConfig, Map.of());
            assertThat(again.run("host", "join", "--master", server, "--token", token, "--agent-url", agent.url(),
                    "--agent-token-file", agentToken.toString())).isEqualTo(1);
            assertThat(again.err()).startsWith("error: JOIN_TOKEN_INVALID: join token " + id + " is used up").doesNotContain("atoll login");
            JsonNode tokens = MasterClient.JSON.readTree(atoll("pool", "join-token", "list", "-o", "json").out());
            assertThat(tokens.findValuesAsText("state")).contains("USED_UP");

            assertThat(atoll("pool", "join-token", "revoke", id).err()).isEmpty();
            assertThat(atoll("pool", "join-token", "list").out()).doesNotContain(id);
            assertThat(atoll("host", "eject", hostUuid.toString()).err()).isEmpty();
            assertThat(atoll("host", "list").out()).doesNotContain(hostUuid.toString());
        }
    }

    /** A stand-in node agent on loopback: its facts under the given host uuid, no VMs, and its bearer token demanded. */
    private static final class HttpAgent implements AutoCloseable {
        private final HttpServer http;

        HttpAgent(UUID hostUuid, String token) throws IOException {
            http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
            String facts = "{\"hostUuid\":\"" + hostUuid + "\",\"hostname\":\"cli-it-host\",\"cpuCount\":2,\"cpuModel\":\"Fake\","
                    + "\"memoryTotalBytes\":4294967296,\"memoryFreeBytes\":2147483648,\"memoryAvailableBytes\":3221225472,"
                    + "\"memoryFreeForVmsBytes\":2147483648,\"runDirFreeBytes\":10737418240,"
                    + "\"kvm\":{\"present\":false,\"apiVersion\":-1,\"usable\":false,\"reason\":\"a stand-in agent\"},"
                    + "\"defaultAccelerator\":\"TCG\",\"qemuVersion\":\"7.2.0\",\"runningVms\":0}";
            http.createContext("/", exchange -> {
                try (exchange) {
                    boolean allowed = ("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"));
                    String path = exchange.getRequestURI().getPath();
                    String body = !allowed ? "{\"code\":\"UNAUTHORIZED\",\"message\":\"wrong token\"}"
                            : path.equals("/api/v1/host") ? facts : path.equals("/api/v1/vms") ? "[]" : "{\"code\":\"NOT_FOUND\",\"message\":\"no\"}";
                    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    exchange.sendResponseHeaders(!allowed ? 401 : body.startsWith("{\"code\"") ? 404 : 200, bytes.length);
                    exchange.getResponseBody().write(bytes);
                }
            });
            http.start();
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort();
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    @AfterAll
    void stopMaster() throws Exception {
        if (master != null) {
            master.destroy();
            if (!master.waitFor(30, TimeUnit.SECONDS)) {
                master.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (root != null) {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(from)) {
            files.forEach(all::add);
        }
        for (Path p : all) {
            Path target = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(target);
            } else {
                Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }
}
