package io.atoll.agent;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.vm.VmManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Storage repositories over the agent's API, with the {@code local} adapter loaded from its plugin
 * directory: a Linux guest runs from a repository disk, is snapshotted and merged live, reverted,
 * cloned and resized; and the calls the agent must refuse leave no QEMU and no disk attached.
 */
@QuarkusTest
@io.quarkus.test.common.QuarkusTestResource(AgentDirs.class)
class StorageApiTest {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration COMMAND = Duration.ofSeconds(60);
    private static final long MIB = 1024 * 1024;

    @Inject
    VmManager manager;

    private Path root;
    private String sr;
    private final List<String> vms = new java.util.ArrayList<>();

    @BeforeEach
    void repository() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-sr-test-");
        sr = UUID.randomUUID().toString();
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            for (String vm : vms) {
                api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown");
                api().delete("/api/v1/vms/" + vm);
            }
            assertThat(manager.runningVms()).isEmpty();
            if (given().get(srPath()).statusCode() == 200) {
                api().delete(srPath() + "?destroy=true").then().statusCode(204);
            }
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static RequestSpecification api() {
        return given().contentType(ContentType.JSON);
    }

    private String srPath() {
        return "/api/v1/storage/srs/" + sr;
    }

    private void attach(String secret) {
        api().body(Map.of("name", "test-local", "type", "local", "create", true,
                        "deviceConfig", Map.of("path", root.resolve("sr").toString(), "note", secret)))
                .put(srPath()).then().statusCode(200)
                .body("uuid", equalTo(sr)).body("type", equalTo("local")).body("name", equalTo("test-local"))
                .body(not(containsString(secret)));
    }

    private String createDisk(String name, long size) {
        return api().body(Map.of("name", name, "virtualSize", size)).post(srPath() + "/disks")
                .then().statusCode(201).body("name", equalTo(name)).body("virtualSize", equalTo((int) size))
                .body("snapshotOf", nullValue()).extract().path("id");
    }

    private static String vdi(String srUuid, String vdi) {
        return "{\"driver\": \"atoll-vdi\", \"sr\": \"" + srUuid + "\", \"vdi\": \"" + vdi + "\"}";
    }

    /** The Linux test guest on a repository disk. */
    private String linuxVm(String name, String disk) {
        String body = """
                {"name": "%s", "vcpus": 1, "memoryMiB": 192, "accelerator": "TCG",
                 "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"},
                 "disks": [{"id": "disk0", "format": "qcow2", "source": %s}]}
                """.formatted(name, TestGuests.linuxKernel(), TestGuests.linuxInitrd(), TestGuests.linuxCmdline(), vdi(sr, disk));
        return define(body);
    }

    private String define(String body) {
        String uuid = api().body(body).post("/api/v1/vms").then().log().ifValidationFails().statusCode(201).extract().path("uuid");
        vms.add(uuid);
        return uuid;
    }

    /** The counter guest from a plain file, with repository disks beside it ({@code disk1}…): QEMU opens them, nothing boots them. */
    private String counterVm(String name, String... sources) throws Exception {
        return counterVmOn("pc", name, sources);
    }

    private String counterVmOn(String machine, String name, String... sources) throws Exception {
        Path boot = root.resolve(name + ".img");
        Files.copy(TestGuests.counterImage(), boot);
        StringBuilder disks = new StringBuilder("{\"id\": \"disk0\", \"format\": \"raw\", \"bootIndex\": 0, "
                + "\"source\": {\"driver\": \"file\", \"filename\": \"" + boot + "\"}}");
        for (int i = 0; i < sources.length; i++) {
            disks.append(", {\"id\": \"disk").append(i + 1).append("\", \"source\": ").append(sources[i]).append('}');
        }
        return define("{\"name\": \"" + name + "\", \"vcpus\": 1, \"memoryMiB\": 32, \"accelerator\": \"TCG\", \"machine\": \""
                + machine + "\", \"disks\": [" + disks + "]}");
    }

    private GuestConsole boot(String vm) {
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(200).body("powerState", equalTo("RUNNING"));
        var paths = manager.paths(UUID.fromString(vm));
        GuestConsole console = new GuestConsole(paths.consoleLog(), paths.serialSocket());
        int skip = console.lines().size();
        assertThat(console.await(l -> l.startsWith("ATOLL-GUEST READY"), skip, BOOT, "READY")).contains("disk=vda");
        return console;
    }

    private static void write(GuestConsole console, String file) {
        assertThat(console.command("write " + file + " 2", "ATOLL-GUEST WROTE " + file, COMMAND)).matches(".* [0-9a-f]{64}");
    }

    private static String verify(GuestConsole console, String file) {
        return console.command("verify " + file, "ATOLL-GUEST VERIFY " + file, COMMAND);
    }

    private void shutdown(String vm) {
        api().body("{\"force\": false, \"timeoutSeconds\": 30}").post("/api/v1/vms/" + vm + "/shutdown")
                .then().statusCode(200).body("powerState", equalTo("HALTED"));
    }

    /** The images the VM's QEMU has open for a disk, active first. */
    private List<Map<String, Object>> chain(String vm, String disk) {
        return manager.liveBlockDevice(UUID.fromString(vm), disk).chain();
    }

    @Test
    void aGuestRunsFromARepositoryDiskThroughSnapshotsRevertCloneAndResize() throws Exception {
        String secret = "not-for-answers-" + UUID.randomUUID();
        attach(secret);
        attach(secret); // idempotent
        given().get("/api/v1/storage/srs").then().statusCode(200).body("uuid", hasItem(sr)).body(not(containsString(secret)));
        Path saved = manager.config().stateDir().resolve("storage-repositories.json");
        assertThat(Files.getPosixFilePermissions(saved)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(saved)).contains(sr).contains(secret);

        String disk = createDisk("root", 128 * MIB);
        given().get(srPath() + "/disks").then().statusCode(200).body("id", hasItem(disk));
        given().get(srPath() + "/disks/" + disk).then().statusCode(200).body("name", equalTo("root"));

        // The guest runs from the repository disk; the VM's definition keeps the reference.
        String vm = linuxVm("on-vdi", disk);
        GuestConsole console = boot(vm);
        given().get("/api/v1/vms/" + vm).then().statusCode(200)
                .body("spec.disks[0].source.driver", equalTo("atoll-vdi")).body("spec.disks[0].source.vdi", equalTo(disk));
        assertThat(chain(vm, "disk0")).hasSize(1);
        assertThat(chain(vm, "disk0").get(0).get("filename").toString()).startsWith(root.resolve("sr").toString());
        write(console, "before");

        // What a running VM's disk refuses.
        api().body(Map.of("snapshotId", disk)).post(srPath() + "/disks/" + disk + "/revert")
                .then().statusCode(409).body("code", equalTo("STORAGE_IN_USE")).body("message", containsString("on-vdi"));
        given().delete(srPath() + "/disks/" + disk).then().statusCode(409).body("code", equalTo("STORAGE_IN_USE"));
        given().delete(srPath()).then().statusCode(409).body("code", equalTo("STORAGE_IN_USE")).body("message", containsString("on-vdi"));

        // A live snapshot: QEMU now writes a new overlay, the guest goes on.
        String snap = api().body(Map.of("name", "s1")).post(srPath() + "/disks/" + disk + "/snapshot")
                .then().statusCode(200).body("snapshotOf", equalTo(disk)).body("readOnly", equalTo(true)).extract().path("id");
        assertThat(chain(vm, "disk0")).hasSize(2);
        write(console, "after");

        // A second live snapshot, deleted at once: merged into the running disk by QEMU.
        String snap2 = api().body(Map.of("name", "s2")).post(srPath() + "/disks/" + disk + "/snapshot").then().statusCode(200).extract().path("id");
        assertThat(chain(vm, "disk0")).hasSize(3);
        write(console, "later");
        given().delete(srPath() + "/disks/" + snap2).then().statusCode(204);
        assertThat(chain(vm, "disk0")).hasSize(2);
        for (String f : List.of("before", "after", "later")) {
            assertThat(verify(console, f)).endsWith("OK");
        }
        shutdown(vm);

        // Halted, the disk is free: revert, clone, resize.
        api().body(Map.of("snapshotId", snap)).post(srPath() + "/disks/" + disk + "/revert")
                .then().statusCode(200).body("id", equalTo(disk));
        String linked = api().body(Map.of("name", "linked")).post(srPath() + "/disks/" + snap + "/clone")
                .then().statusCode(200).body("snapshotOf", nullValue()).body("readOnly", equalTo(false)).extract().path("id");
        String full = api().body(Map.of("name", "full", "mode", "FULL")).post(srPath() + "/disks/" + snap + "/clone")
                .then().statusCode(200).extract().path("id");
        api().body(Map.of("name", "odd", "mode", "sideways")).post(srPath() + "/disks/" + snap + "/clone")
                .then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        api().body(Map.of("virtualSize", 256 * MIB)).post(srPath() + "/disks/" + disk + "/resize")
                .then().statusCode(200).body("virtualSize", equalTo((int) (256 * MIB)));
        api().body(Map.of("virtualSize", 64 * MIB)).post(srPath() + "/disks/" + disk + "/resize")
                .then().statusCode(400).body("code", equalTo("STORAGE_SHRINK_NOT_ALLOWED"));

        // The reverted disk has what the snapshot had, and not what came after.
        console = boot(vm);
        assertThat(verify(console, "before")).endsWith("OK");
        assertThat(verify(console, "after")).endsWith("BAD");
        shutdown(vm);
        String cloneVm = linuxVm("on-clone", full);
        console = boot(cloneVm);
        assertThat(verify(console, "before")).endsWith("OK");
        shutdown(cloneVm);

        for (String id : List.of(snap, linked, full, disk)) {
            given().delete(srPath() + "/disks/" + id).then().statusCode(204);
        }
        given().get(srPath() + "/disks/" + disk).then().statusCode(404).body("code", equalTo("STORAGE_NOT_FOUND"));
        api().delete("/api/v1/vms/" + vm).then().statusCode(204);
        api().delete("/api/v1/vms/" + cloneVm).then().statusCode(204);

        given().delete(srPath() + "?destroy=true").then().statusCode(204);
        given().get(srPath()).then().statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"));
        assertThat(root.resolve("sr")).doesNotExist();
        assertThat(Files.readString(saved)).doesNotContain(sr);
    }

    @Test
    void refusalsNameTheProblemAndLeaveNothingRunningOrAttached() throws Exception {
        String unknown = UUID.randomUUID().toString();
        given().get("/api/v1/storage/srs/" + unknown).then().statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"));
        given().get("/api/v1/storage/srs/" + unknown + "/disks").then().statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"));
        given().delete("/api/v1/storage/srs/" + unknown).then().statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"));
        api().body(Map.of("name", "x", "type", "no-such-type", "deviceConfig", Map.of())).put(srPath())
                .then().statusCode(400).body("code", equalTo("STORAGE_TYPE_UNKNOWN")).body("message", containsString("local"));
        api().body(Map.of("name", "x", "type", "local", "create", true)).put(srPath())
                .then().statusCode(400).body("code", equalTo("STORAGE_INVALID_ARGUMENT")).body("message", containsString("path"));
        Files.createDirectories(root.resolve("empty"));
        api().body(Map.of("name", "x", "type", "local", "deviceConfig", Map.of("path", root.resolve("empty").toString()))).put(srPath())
                .then().log().ifValidationFails().statusCode(404).body("code", equalTo("STORAGE_NOT_FOUND"));
        given().get(srPath()).then().statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"));

        attach("x");
        api().body(Map.of("name", "y", "type", "local", "deviceConfig", Map.of("path", "/elsewhere"))).put(srPath())
                .then().statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"));
        given().get(srPath() + "/disks/no-such-disk").then().statusCode(404).body("code", equalTo("STORAGE_NOT_FOUND"));
        api().body(Map.of("name", "zero", "virtualSize", 0)).post(srPath() + "/disks")
                .then().statusCode(400).body("code", equalTo("STORAGE_INVALID_ARGUMENT"));
        String good = createDisk("good", 16 * MIB);
        // The disk is free again only if every failed start released it: a resize is refused while it is attached.
        Runnable goodIsDetached = new Runnable() {
            long size = 16 * MIB;

            @Override
            public void run() {
                size += MIB;
                api().body(Map.of("virtualSize", size)).post(srPath() + "/disks/" + good + "/resize").then().statusCode(200);
            }
        };

        // A repository not attached here.
        String vm = counterVm("unknown-sr", vdi(sr, good), vdi(unknown, "d"));
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"))
                .body("object", equalTo("disk disk2")).body("message", containsString(unknown));
        assertNothingRuns(vm);
        goodIsDetached.run();

        // A disk the repository does not have.
        vm = counterVm("unknown-vdi", vdi(sr, good), vdi(sr, "no-such-disk"));
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(404).body("code", equalTo("STORAGE_NOT_FOUND"))
                .body("object", equalTo("disk disk2"));
        assertNothingRuns(vm);
        goodIsDetached.run();

        // A reference without its repository.
        vm = counterVm("no-sr-key", "{\"driver\": \"atoll-vdi\", \"vdi\": \"" + good + "\"}");
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(400).body("code", equalTo("INVALID_SPEC"));
        assertNothingRuns(vm);

        // QEMU itself refuses after the disks were attached.
        vm = counterVmOn("no-such-machine", "bad-machine", vdi(sr, good));
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(500).body("code", equalTo("QEMU_START_FAILED"));
        assertNothingRuns(vm);
        goodIsDetached.run();

        // One writer at a time among this host's VMs; the second VM does not start.
        String writer = counterVm("writer", vdi(sr, good));
        api().post("/api/v1/vms/" + writer + "/start").then().statusCode(200).body("powerState", equalTo("RUNNING"));
        String second = counterVm("second-writer", vdi(sr, good));
        api().post("/api/v1/vms/" + second + "/start").then().statusCode(409).body("code", equalTo("STORAGE_IN_USE"))
                .body("message", containsString("writer"));
        assertNothingRuns(second);
        api().body(Map.of("virtualSize", 64 * MIB)).post(srPath() + "/disks/" + good + "/resize")
                .then().statusCode(409).body("code", equalTo("STORAGE_IN_USE"));
        api().body("{\"force\": true}").post("/api/v1/vms/" + writer + "/shutdown").then().statusCode(200);
        goodIsDetached.run();
    }

    @Test
    void aDiskIsHeldExactlyWhileAQemuHasItOpen() throws Exception {
        attach("x");
        String disk = createDisk("held", 16 * MIB);
        long[] size = {16 * MIB};
        Runnable attached = () -> api().body(Map.of("virtualSize", size[0] + MIB)).post(srPath() + "/disks/" + disk + "/resize")
                .then().statusCode(409).body("code", equalTo("STORAGE_IN_USE"));
        Runnable detached = () -> {
            size[0] += MIB;
            api().body(Map.of("virtualSize", size[0])).post(srPath() + "/disks/" + disk + "/resize").then().statusCode(200);
        };
        String readOnly = "{\"driver\": \"atoll-vdi\", \"sr\": \"" + sr + "\", \"vdi\": \"" + disk + "\"}, \"readOnly\": true";

        // Suspend ends QEMU and lets the disk go; resume and a clean reboot (hard after 1 s) take it again.
        String vm = counterVm("holder", vdi(sr, disk));
        post(vm, "start", "RUNNING");
        attached.run();
        post(vm, "suspend", "SUSPENDED");
        detached.run();
        post(vm, "resume", "RUNNING");
        attached.run();
        api().body("{\"force\": false, \"timeoutSeconds\": 1}").post("/api/v1/vms/" + vm + "/reboot")
                .then().statusCode(200).body("powerState", equalTo("RUNNING"));
        attached.run();
        api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(200);
        detached.run();

        // Readers share it; the disk goes when the last reader stops; no writer meanwhile.
        String reader1 = counterVm("reader-1", readOnly);
        String reader2 = counterVm("reader-2", readOnly);
        post(reader1, "start", "RUNNING");
        post(reader2, "start", "RUNNING");
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(409).body("code", equalTo("STORAGE_IN_USE"))
                .body("message", containsString("reader-"));
        assertNothingRuns(vm);
        api().body("{\"force\": true}").post("/api/v1/vms/" + reader1 + "/shutdown").then().statusCode(200);
        attached.run();
        api().body("{\"force\": true}").post("/api/v1/vms/" + reader2 + "/shutdown").then().statusCode(200);
        detached.run();
    }

    private static void post(String vm, String operation, String state) {
        api().post("/api/v1/vms/" + vm + "/" + operation).then().statusCode(200).body("powerState", equalTo(state));
    }

    private void assertNothingRuns(String vm) {
        given().get("/api/v1/vms/" + vm).then().statusCode(200).body("powerState", equalTo("HALTED")).body("pid", nullValue());
        assertThat(manager.runningVms()).doesNotContain(UUID.fromString(vm));
        assertThat(AgentDirs.qemusUnder(manager.config().runDir().resolve(vm))).isEmpty();
    }
}
