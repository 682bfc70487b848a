package io.atoll.agent;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.vm.VmManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live disk moves between two storage repositories of one host (the {@code local} adapter from its
 * plugin directory): a Linux guest under TCG keeps running, and writing, while its disk moves;
 * it finds its files on the new disk then and after a restart from it; and the moves the agent
 * must refuse leave the VM on its disk and nothing else attached.
 */
@QuarkusTest
@io.quarkus.test.common.QuarkusTestResource(AgentDirs.class)
class DiskMoveTest {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration COMMAND = Duration.ofSeconds(120);
    private static final long MIB = 1024 * 1024;

    @Inject
    VmManager manager;

    private Path root;
    private final String sr1 = UUID.randomUUID().toString();
    private final String sr2 = UUID.randomUUID().toString();
    private final List<String> vms = new java.util.ArrayList<>();

    @BeforeEach
    void repositories() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-move-test-");
        for (String sr : List.of(sr1, sr2)) {
            api().body(Map.of("name", "move-" + sr.substring(0, 4), "type", "local", "create", true,
                    "deviceConfig", Map.of("path", root.resolve(sr).toString()))).put(srPath(sr)).then().statusCode(200);
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            for (String vm : vms) {
                api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown");
                api().delete("/api/v1/vms/" + vm);
            }
            assertThat(manager.runningVms()).isEmpty();
            for (String sr : List.of(sr1, sr2)) {
                api().delete(srPath(sr) + "?destroy=true").then().statusCode(204);
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

    private static String srPath(String sr) {
        return "/api/v1/storage/srs/" + sr;
    }

    private static String createDisk(String sr, String name, long size) {
        return api().body(Map.of("name", name, "virtualSize", size)).post(srPath(sr) + "/disks").then().statusCode(201).extract().path("id");
    }

    private static String vdi(String sr, String vdi) {
        return "{\"driver\": \"atoll-vdi\", \"sr\": \"" + sr + "\", \"vdi\": \"" + vdi + "\"}";
    }

    private String define(String body) {
        String uuid = api().body(body).post("/api/v1/vms").then().log().ifValidationFails().statusCode(201).extract().path("uuid");
        vms.add(uuid);
        return uuid;
    }

    private static io.restassured.response.ValidatableResponse move(String vm, String disk, String sr, String vdi) {
        return api().body(Map.of("sr", sr, "vdi", vdi)).post("/api/v1/vms/" + vm + "/disks/" + disk + "/move").then().log().ifValidationFails();
    }

    private GuestConsole boot(String vm) {
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(200).body("powerState", equalTo("RUNNING"));
        var paths = manager.paths(UUID.fromString(vm));
        GuestConsole console = new GuestConsole(paths.consoleLog(), paths.serialSocket());
        int skip = console.lines().size();
        assertThat(console.await(l -> l.startsWith("ATOLL-GUEST READY"), skip, BOOT, "READY")).contains("disk=vda");
        return console;
    }

    private static String verify(GuestConsole console, String file) {
        return console.command("verify " + file, "ATOLL-GUEST VERIFY " + file, COMMAND);
    }

    /** A disk is free (no VM holds it, not attached) exactly when the adapter lets it be deleted or resized. */
    private static void assertDetached(String sr, String vdi, long size) {
        api().body(Map.of("virtualSize", size + MIB)).post(srPath(sr) + "/disks/" + vdi + "/resize").then().statusCode(200);
    }

    private static void assertHeld(String sr, String vdi) {
        api().body(Map.of("virtualSize", 4096 * MIB)).post(srPath(sr) + "/disks/" + vdi + "/resize")
                .then().statusCode(409).body("code", equalTo("STORAGE_IN_USE"));
    }

    @Test
    void aRunningGuestsDiskMovesToAnotherRepositoryWhileItWrites() throws Exception {
        String old = createDisk(sr1, "root", 128 * MIB);
        String target = createDisk(sr2, "root-moved", 128 * MIB);
        String vm = define("""
                {"name": "mover", "vcpus": 1, "memoryMiB": 192, "accelerator": "TCG",
                 "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"},
                 "disks": [{"id": "disk0", "format": "qcow2", "source": %s}]}
                """.formatted(TestGuests.linuxKernel(), TestGuests.linuxInitrd(), TestGuests.linuxCmdline(), vdi(sr1, old)));
        GuestConsole console = boot(vm);
        assertThat(console.command("write before 8", "ATOLL-GUEST WROTE before", COMMAND)).matches(".* [0-9a-f]{64}");

        // The guest writes 24 MiB while its disk moves; the write ends after the move or during it.
        int skip = console.lines().size();
        console.send("write during 24");
        move(vm, "disk0", sr2, target).statusCode(200).body("powerState", equalTo("RUNNING"))
                .body("spec.disks[0].source.sr", equalTo(sr2)).body("spec.disks[0].source.vdi", equalTo(target));
        assertThat(console.await(l -> l.startsWith("ATOLL-GUEST WROTE during") || l.startsWith("ATOLL-GUEST ERROR"), skip, COMMAND,
                "WROTE during")).startsWith("ATOLL-GUEST WROTE during");
        given().get("/api/v1/vms/" + vm + "/disks/disk0/move").then().statusCode(200)
                .body("status", equalTo("completed")).body("error", org.hamcrest.Matchers.nullValue());

        // QEMU has the new disk open, the old one is detached; the record on disk names the new one.
        List<Map<String, Object>> chain = manager.liveBlockDevice(UUID.fromString(vm), "disk0").chain();
        assertThat(chain).hasSize(1);
        assertThat(chain.get(0).get("filename").toString()).startsWith(root.resolve(sr2).toString());
        assertDetached(sr1, old, 128 * MIB);
        assertHeld(sr2, target);
        assertThat(Files.readString(manager.paths(UUID.fromString(vm)).record())).contains(target).doesNotContain(old);
        for (String f : List.of("before", "during")) {
            assertThat(verify(console, f)).endsWith("OK");
        }
        assertThat(console.command("write after 2", "ATOLL-GUEST WROTE after", COMMAND)).matches(".* [0-9a-f]{64}");

        // A clean shutdown and a start from the new disk: every file is there.
        api().body("{\"force\": false, \"timeoutSeconds\": 30}").post("/api/v1/vms/" + vm + "/shutdown")
                .then().statusCode(200).body("powerState", equalTo("HALTED"));
        assertDetached(sr2, target, 128 * MIB);
        console = boot(vm);
        for (String f : List.of("before", "during", "after")) {
            assertThat(verify(console, f)).endsWith("OK");
        }
        given().delete(srPath(sr1) + "/disks/" + old).then().statusCode(204);
    }

    @Test
    void refusedMovesLeaveTheVmOnItsDiskAndNothingAttached() throws Exception {
        Path bootImage = root.resolve("counter.img");
        Files.copy(TestGuests.counterImage(), bootImage);
        String disk = createDisk(sr1, "data", 16 * MIB);
        String small = createDisk(sr2, "small", 8 * MIB);
        String good = createDisk(sr2, "good", 16 * MIB);
        String vm = define("{\"name\": \"counter-mover\", \"vcpus\": 1, \"memoryMiB\": 32, \"accelerator\": \"TCG\", \"disks\": ["
                + "{\"id\": \"disk0\", \"format\": \"raw\", \"bootIndex\": 0, \"source\": {\"driver\": \"file\", \"filename\": \""
                + bootImage + "\"}}, {\"id\": \"disk1\", \"source\": " + vdi(sr1, disk) + "}]}");
        String path = "/api/v1/vms/" + vm + "/disks/disk1/move";

        // A halted VM moves no disk (its disks can be copied offline).
        move(vm, "disk1", sr2, good).statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"));
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(200);

        move(vm, "disk9", sr2, good).statusCode(400).body("code", equalTo("INVALID_REQUEST")).body("message", containsString("disk1"));
        move(vm, "disk0", sr2, good).statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"))
                .body("message", containsString("atoll-vdi"));
        move(vm, "disk1", sr2, small).statusCode(400).body("code", equalTo("STORAGE_INVALID_ARGUMENT"))
                .body("message", containsString("too small"));
        move(vm, "disk1", sr2, "no-such-disk").statusCode(404).body("code", equalTo("STORAGE_NOT_FOUND"));
        move(vm, "disk1", UUID.randomUUID().toString(), good).statusCode(404).body("code", equalTo("SR_NOT_ATTACHED"));
        move(vm, "disk1", sr1, disk).statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        api().body("{}").post(path).then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        given().get(path).then().statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"));
        api().post(path + "/cancel").then().statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"));
        given().get("/api/v1/vms/" + vm).then().statusCode(200).body("powerState", equalTo("RUNNING"))
                .body("spec.disks[1].source.vdi", equalTo(disk));
        assertHeld(sr1, disk);
        assertDetached(sr2, small, 8 * MIB);

        // A paused VM's disk moves too, and the VM stays paused.
        api().post("/api/v1/vms/" + vm + "/pause").then().statusCode(200).body("powerState", equalTo("PAUSED"));
        move(vm, "disk1", sr2, good).statusCode(200).body("powerState", equalTo("PAUSED"))
                .body("spec.disks[1].source.vdi", equalTo(good));
        assertDetached(sr1, disk, 16 * MIB);
        assertHeld(sr2, good);
        api().post("/api/v1/vms/" + vm + "/unpause").then().statusCode(200).body("powerState", equalTo("RUNNING"));
    }

    @Test
    void aCancelledMoveLeavesTheGuestOnItsDiskAndTheTargetDetached() throws Exception {
        Path bootImage = root.resolve("counter.img");
        Files.copy(TestGuests.counterImage(), bootImage);
        long size = 1024 * MIB;
        java.util.Set<Path> before;
        try (var files = Files.list(root.resolve(sr1))) {
            before = files.collect(java.util.stream.Collectors.toSet());
        }
        String disk = createDisk(sr1, "big", size);
        Path image;
        try (var files = Files.list(root.resolve(sr1))) {
            image = files.filter(f -> !before.contains(f) && f.toString().endsWith(".qcow2")).findFirst().orElseThrow();
        }
        // 1 GiB of data, written on the host before any VM opens it: a copy that takes a while.
        List<String> qemuIo = new java.util.ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (long off = 0; off < size; off += 128 * MIB) {
            qemuIo.addAll(List.of("-c", "write -q -P 0x5a " + off + " " + 128 * MIB));
        }
        qemuIo.add(image.toString());
        Process io = new ProcessBuilder(qemuIo).redirectErrorStream(true).start();
        String ioOut = new String(io.getInputStream().readAllBytes());
        assertThat(io.waitFor()).as(ioOut).isZero();
        String target = createDisk(sr2, "big-moved", size);
        String vm = define("{\"name\": \"cancelled-mover\", \"vcpus\": 1, \"memoryMiB\": 32, \"accelerator\": \"TCG\", \"disks\": ["
                + "{\"id\": \"disk0\", \"format\": \"raw\", \"bootIndex\": 0, \"source\": {\"driver\": \"file\", \"filename\": \""
                + bootImage + "\"}}, {\"id\": \"disk1\", \"source\": " + vdi(sr1, disk) + "}]}");
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(200);
        String path = "/api/v1/vms/" + vm + "/disks/disk1/move";

        // The move runs in the background; once it copies, it is cancelled.
        var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> api().body(Map.of("sr", sr2, "vdi", target)).post(path));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String status = null;
        while (System.nanoTime() < deadline && !answer.isDone()) {
            var r = given().get(path);
            status = r.statusCode() == 200 ? r.path("status") : null;
            if ("copying".equals(status)) {
                api().post(path + "/cancel").then().statusCode(202);
                break;
            }
            Thread.sleep(20);
        }
        assertThat(status).as("the 1 GiB copy was seen in progress").isEqualTo("copying");
        answer.get(60, java.util.concurrent.TimeUnit.SECONDS).then().statusCode(409).body("code", equalTo("MIGRATION_CANCELLED"))
                .body("message", containsString("old disk"));
        given().get(path).then().statusCode(200).body("status", equalTo("cancelled"));

        // The guest runs on its disk; the target is free again.
        given().get("/api/v1/vms/" + vm).then().statusCode(200).body("powerState", equalTo("RUNNING"))
                .body("spec.disks[1].source.vdi", equalTo(disk));
        assertThat(manager.liveBlockDevice(UUID.fromString(vm), "disk1").chain().get(0).get("filename").toString())
                .isEqualTo(image.toString());
        assertHeld(sr1, disk);
        assertDetached(sr2, target, size);
    }
}
