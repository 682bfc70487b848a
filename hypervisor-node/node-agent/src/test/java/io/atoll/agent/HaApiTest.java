package io.atoll.agent;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.atoll.guests.TestGuests;
import io.atoll.vm.VmManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's HA API in one process on loopback, with the statefile on a {@code local} repository:
 * bad configurations are refused naming what to fix and start nothing; a config is applied, is
 * idempotent, and changes of quorum and protected VMs apply without rejoining; the epoch header
 * fences a deposed master; and a host that loses both heartbeats (a minority view, its statefile
 * directory removed) kills its protected VM by pid, marks it halted with the reason, refuses
 * starts with HOST_FENCED, and is re-admitted only by a PUT with the current epoch in the majority.
 */
@QuarkusTest
@io.quarkus.test.common.QuarkusTestResource(AgentDirs.class)
class HaApiTest {
    private static final String ABSENT_HOST = "host/" + UUID.randomUUID();

    @Inject
    VmManager manager;

    @Inject
    AgentConfig config;

    private Path root;
    private Path srDir;
    private String sr;
    private String me;
    private int port;
    private final List<String> vms = new ArrayList<>();

    @BeforeEach
    void repository() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-ha-test-");
        srDir = root.resolve("sr");
        sr = UUID.randomUUID().toString();
        api().body(Map.of("name", "ha-sr", "type", "local", "deviceConfig", Map.of("path", srDir.toString()), "create", true))
                .put("/api/v1/storage/srs/" + sr).then().statusCode(200);
        me = "host/" + given().get("/api/v1/host").then().statusCode(200).extract().path("hostUuid");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            Files.createDirectories(srDir);
            if (given().get("/api/v1/ha").then().extract().<Boolean>path("fenced")) {
                api().body(config(List.of(me), List.of(), epoch())).put("/api/v1/ha").then().statusCode(200).body("fenced", equalTo(false));
            }
            api().delete("/api/v1/ha").then().statusCode(200).body("enabled", equalTo(false));
            for (String vm : vms) {
                api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown");
                api().delete("/api/v1/vms/" + vm);
            }
            assertThat(manager.runningVms()).isEmpty();
            api().delete("/api/v1/storage/srs/" + sr + "?destroy=true").then().statusCode(204);
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static RequestSpecification api() {
        return given().contentType(ContentType.JSON);
    }

    private static long epoch() {
        return given().get("/api/v1/ha").then().statusCode(200).extract().jsonPath().getLong("epochSeen");
    }

    private Map<String, Object> config(List<String> quorum, List<String> protectedVms, long epoch) {
        return config(2, sr, quorum, protectedVms, epoch);
    }

    private Map<String, Object> config(int timeout, String statefileSr, List<String> quorum, List<String> protectedVms, long epoch) {
        Map<String, Object> c = new java.util.HashMap<>();
        c.put("enabled", true);
        c.put("timeoutSeconds", timeout);
        c.put("bindAddress", "127.0.0.1");
        c.put("port", port);
        c.put("initialHosts", List.of("127.0.0.1[" + port + "]"));
        c.put("quorum", quorum);
        c.put("statefileSr", statefileSr);
        c.put("protectedVms", protectedVms);
        c.put("epoch", epoch);
        return c;
    }

    private static JsonPath awaitStatus(String what, Duration within, Predicate<JsonPath> ok) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            JsonPath s = given().get("/api/v1/ha").then().statusCode(200).extract().jsonPath();
            if (ok.test(s)) {
                return s;
            }
            assertThat(System.nanoTime()).as("%s within %s; last status %s", what, within, s.prettify()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private void assertNothingStarted() {
        given().get("/api/v1/ha").then().statusCode(200).body("enabled", equalTo(false)).body("view.size()", equalTo(0));
        assertThat(config.stateDir().resolve("ha.json")).doesNotExist();
    }

    @Test
    void badConfigurationsAreRefusedNamingTheFixAndStartNothing() {
        api().put("/api/v1/ha").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        assertNothingStarted();
        api().body(config(1, sr, List.of(me), List.of(), epoch())).put("/api/v1/ha").then().statusCode(400)
                .body("code", equalTo("INVALID_REQUEST")).body("message", containsString("timeoutSeconds"))
                .body("message", containsString("at least 2 s"));
        assertNothingStarted();
        String elsewhere = UUID.randomUUID().toString();
        api().body(config(2, elsewhere, List.of(me), List.of(), epoch())).put("/api/v1/ha").then().statusCode(404)
                .body("code", equalTo("SR_NOT_ATTACHED")).body("message", containsString(elsewhere))
                .body("message", containsString("PUT /api/v1/storage/srs/"));
        assertNothingStarted();
        api().body(config(List.of(ABSENT_HOST), List.of(), epoch())).put("/api/v1/ha").then().statusCode(400)
                .body("message", containsString("does not list this host")).body("message", containsString(me));
        assertNothingStarted();
        api().body(config(List.of(me, "someone"), List.of(), epoch())).put("/api/v1/ha").then().statusCode(400)
                .body("message", containsString("'someone'"));
        Map<String, Object> badHosts = config(List.of(me), List.of(), epoch());
        badHosts.put("initialHosts", List.of("127.0.0.1:7800"));
        api().body(badHosts).put("/api/v1/ha").then().statusCode(400).body("message", containsString("addr[port]"));
        Map<String, Object> notMine = config(List.of(me), List.of(), epoch());
        notMine.put("bindAddress", "192.0.2.77");
        api().body(notMine).put("/api/v1/ha").then().statusCode(400).body("message", containsString("192.0.2.77"))
                .body("message", containsString("not an address of this host"));
        assertNothingStarted();

        // The lock break: never this host, a body is needed, and local storage has no other holder to release.
        String self = me.substring("host/".length());
        api().body(Map.of("host", self)).post("/api/v1/storage/srs/" + sr + "/release-host").then().statusCode(409)
                .body("code", equalTo("OPERATION_NOT_ALLOWED")).body("message", containsString("this host"));
        api().body("{}").post("/api/v1/storage/srs/" + sr + "/release-host").then().statusCode(400)
                .body("message", containsString("\"host\""));
        api().body(Map.of("host", UUID.randomUUID().toString())).post("/api/v1/storage/srs/" + sr + "/release-host").then()
                .statusCode(409).body("code", equalTo("STORAGE_NOT_SUPPORTED"));
        api().body(Map.of("host", UUID.randomUUID().toString())).post("/api/v1/storage/srs/" + UUID.randomUUID() + "/release-host")
                .then().statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"));
    }

    @Test
    void aConfigIsAppliedIdempotentlyAndChangesApplyWithoutRejoining() throws Exception {
        long epoch = epoch();
        api().body(config(List.of(me), List.of(), epoch)).put("/api/v1/ha").then().statusCode(200)
                .body("enabled", equalTo(true)).body("member", equalTo(me)).body("view", equalTo(List.of(me)))
                .body("majority", equalTo(true)).body("fenced", equalTo(false));
        Path saved = config.stateDir().resolve("ha.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(saved))).isEqualTo("rw-------");
        String uuid = me.substring("host/".length());
        JsonPath s = awaitStatus("two heartbeats of this host read back", Duration.ofSeconds(5), j -> j.getBoolean("statefileReadable")
                && j.getList("statefile.host").contains(uuid) && j.getLong("statefile.find { it.host == '" + uuid + "' }.counter") >= 2);
        assertThat(s.getString("lastStatefileWrite")).isNotNull();
        assertThat(srDir.resolve(".atoll-ha").resolve(uuid + ".hb")).exists();

        api().body(config(List.of(me), List.of(), epoch)).put("/api/v1/ha").then().statusCode(200)
                .body("enabled", equalTo(true)).body("view", equalTo(List.of(me)));
        String vm = UUID.randomUUID().toString();
        api().body(config(List.of(me), List.of(vm), epoch)).put("/api/v1/ha").then().statusCode(200)
                .body("protectedVms", equalTo(List.of(vm)));
        // A bigger quorum: this host alone is a minority now (applied to the running member).
        api().body(config(List.of(me, ABSENT_HOST), List.of(vm), epoch)).put("/api/v1/ha").then().statusCode(200)
                .body("majority", equalTo(false)).body("view", equalTo(List.of(me)));
        api().body(config(List.of(me), List.of(vm), epoch)).put("/api/v1/ha").then().statusCode(200).body("majority", equalTo(true));

        api().delete("/api/v1/ha").then().statusCode(200).body("enabled", equalTo(false)).body("view.size()", equalTo(0));
        assertThat(saved).doesNotExist();
    }

    @Test
    void aLowerMasterEpochIsRefusedAndTheHighestIsKept() throws Exception {
        long e = epoch() + 5;
        given().header("X-Atoll-Master-Epoch", Long.toString(e)).get("/api/v1/ha").then().statusCode(200)
                .body("epochSeen", equalTo((int) e));
        given().header("X-Atoll-Master-Epoch", Long.toString(e - 1)).get("/api/v1/vms").then().statusCode(409)
                .body("code", equalTo("MASTER_FENCED")).body("message", containsString("a newer master (epoch " + e + ") is active"));
        given().header("X-Atoll-Master-Epoch", "soon").get("/api/v1/vms").then().statusCode(400)
                .body("code", equalTo("INVALID_REQUEST"));
        given().get("/api/v1/vms").then().statusCode(200); // no header: allowed
        given().header("X-Atoll-Master-Epoch", Long.toString(e)).get("/api/v1/vms").then().statusCode(200);
        Path file = config.stateDir().resolve("ha-epoch");
        assertThat(Files.readString(file).trim()).isEqualTo(Long.toString(e));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        // The config's own epoch counts too.
        api().body(config(List.of(me), List.of(), e - 1)).put("/api/v1/ha").then().statusCode(409)
                .body("code", equalTo("MASTER_FENCED"));
        assertNothingStarted();
    }

    @Test
    void bothHeartbeatsLostFencesTheProtectedVmUntilTheMasterReadmitsTheHost() throws Exception {
        Path disk = root.resolve("counter.img");
        Files.copy(TestGuests.counterImage(), disk);
        String vm = api().body("""
                {"name": "ha-counter", "vcpus": 1, "memoryMiB": 32, "accelerator": "TCG",
                 "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0, "source": {"driver": "file", "filename": "%s"}}]}
                """.formatted(disk)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        vms.add(vm);
        int pid = api().post("/api/v1/vms/" + vm + "/start").then().statusCode(200).extract().path("pid");

        // A minority view (one of two expected members) but a working statefile: one heartbeat never fences.
        long epoch = epoch();
        Map<String, Object> minority = config(List.of(me, ABSENT_HOST), List.of(vm), epoch);
        api().body(minority).put("/api/v1/ha").then().statusCode(200).body("majority", equalTo(false));
        Thread.sleep(2500); // > 0.8·T
        given().get("/api/v1/ha").then().body("fenced", equalTo(false));
        given().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("RUNNING"));

        // The statefile's storage goes away as well: fenced within 0.8·T (+ a check interval and a write's age).
        long cut = System.nanoTime();
        Files.move(srDir, root.resolve("sr-gone"), java.nio.file.StandardCopyOption.ATOMIC_MOVE); // at once, whole
        JsonPath fenced = awaitStatus("the fence", Duration.ofSeconds(5), j -> j.getBoolean("fenced"));
        long tookMs = (System.nanoTime() - cut) / 1_000_000;
        System.out.printf("HA self-fence %d ms after the statefile went away (T = 2 s)%n", tookMs);
        assertThat(fenced.getString("fenceReason")).contains("lost the majority partition and the statefile");
        assertThat(fenced.getString("fencedAt")).isNotNull();
        assertThat(alive(pid)).as("qemu pid %d", pid).isFalse();
        given().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED")).body("pid", nullValue())
                .body("crashReason", containsString("HA self-fence"));
        assertThat(config.stateDir().resolve("ha-fence.json")).exists();

        // Fenced: nothing starts or migrates in, and a PUT while still in a minority does not re-admit.
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(409).body("code", equalTo("HOST_FENCED"))
                .body("message", containsString(me.substring(5))).body("message", containsString("re-admits"));
        Map<String, Object> spec = given().get("/api/v1/vms/" + vm).then().extract().jsonPath().getMap("spec");
        Map<String, Object> other = new java.util.HashMap<>(spec);
        other.put("uuid", UUID.randomUUID().toString());
        other.put("name", "incoming-while-fenced");
        api().body(Map.of("spec", other, "listenAddress", "127.0.0.1")).post("/api/v1/vms/incoming").then().statusCode(409)
                .body("code", equalTo("HOST_FENCED"));
        given().get("/api/v1/vms/" + other.get("uuid")).then().statusCode(404);
        Files.createDirectories(srDir);
        api().body(minority).put("/api/v1/ha").then().statusCode(200).body("fenced", equalTo(true));
        given().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED"));

        // Re-admitted: in the majority, with the current epoch.
        api().body(config(List.of(me), List.of(vm), epoch())).put("/api/v1/ha").then().statusCode(200)
                .body("majority", equalTo(true)).body("fenced", equalTo(false)).body("fenceReason", nullValue());
        assertThat(config.stateDir().resolve("ha-fence.json")).doesNotExist();
        given().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED")); // a fence never restarts anything
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(200).body("powerState", equalTo("RUNNING"));
    }

    /** Whether a process runs (a zombie waiting for its reaper does not). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
