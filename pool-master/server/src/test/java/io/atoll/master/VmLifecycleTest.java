package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A VM's life in the pool database alone (no host joined in this JVM): create, read, a start that
 * placement refuses, destroy — each operation a task.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class VmLifecycleTest {

    @Test
    void aVmIsCreatedHaltedAndDestroyedByATask() throws Exception {
        // Created halted, in the database only; ids and defaults filled in.
        var created = api().body("""
                {"name": "db-only", "vcpus": 2, "memoryMiB": 64,
                 "boot": {"kernel": "/srv/vmlinuz", "cmdline": "console=ttyS0"},
                 "disks": [{"path": "/srv/db-only.qcow2", "bootIndex": 0}, {"path": "/srv/data.img", "readOnly": true}],
                 "nics": [{}]}
                """).post("/api/v1/vms").then().statusCode(201)
                .header("Location", containsString("/api/v1/vms/"))
                .body("powerState", equalTo("HALTED")).body("residentOn", nullValue()).body("currentOperation", nullValue())
                .body("allowedOperations", equalTo(List.of("start", "destroy", "snapshot", "clone", "revert")))
                .body("kind", equalTo("vm"))
                .body("disks[0].id", equalTo("disk0")).body("disks[0].format", equalTo("qcow2"))
                .body("disks[1].id", equalTo("disk1")).body("disks[1].format", equalTo("raw")).body("disks[1].readOnly", equalTo(true))
                .body("nics[0].id", equalTo("nic0")).body("nics[0].mode", equalTo("USER")).body("accelerator", equalTo("AUTO"))
                .extract().jsonPath();
        String vm = created.getString("uuid");
        api().get("/api/v1/vms").then().statusCode(200).body("uuid", hasItem(vm));
        api().get("/api/v1/vms/" + vm).then().statusCode(200).body("name", equalTo("db-only")).body("boot.kernel", equalTo("/srv/vmlinuz"));

        // No host in the pool: the start is accepted as a task, which fails with the reason; the VM is unchanged.
        var accepted = api().post("/api/v1/vms/" + vm + "/start").then().statusCode(202)
                .header("Location", containsString("/api/v1/tasks/")).body("name", equalTo("vm.start"))
                .body("object.class", equalTo("vm")).body("object.uuid", equalTo(vm)).extract();
        assertThat(accepted.header("Location")).endsWith("/api/v1/tasks/" + accepted.path("uuid"));
        JsonPath start = awaitTask(accepted.path("uuid"), Duration.ofSeconds(10));
        assertThat(start.getString("status")).isEqualTo("FAILURE");
        assertThat(start.getString("error.code")).isEqualTo("NO_HOST_AVAILABLE");
        assertThat(start.getString("error.message")).contains("the pool has no hosts");
        api().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED")).body("currentOperation", nullValue())
                .body("allowedOperations", equalTo(List.of("start", "destroy", "snapshot", "clone", "revert")));

        // Snapshot and clone need every writable disk in a storage repository: refused at once, naming the disk.
        api().body("{\"name\": \"s1\"}").post("/api/v1/vms/" + vm + "/snapshot").then().statusCode(409)
                .body("code", equalTo("OPERATION_NOT_ALLOWED")).body("message", containsString("disk disk0 is an image file"));
        api().body("{\"name\": \"c1\"}").post("/api/v1/vms/" + vm + "/clone").then().statusCode(409)
                .body("code", equalTo("OPERATION_NOT_ALLOWED"));
        api().body("{\"snapshot\": \"" + vm + "\"}").post("/api/v1/vms/" + vm + "/revert").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("is not a snapshot of"));

        // Destroy: a task whose result is the VM as it was; then the VM is gone.
        String destroy = api().delete("/api/v1/vms/" + vm).then().statusCode(202).body("name", equalTo("vm.destroy")).extract().path("uuid");
        JsonPath done = awaitTask(destroy, Duration.ofSeconds(10));
        assertThat(done.getString("status")).isEqualTo("SUCCESS");
        assertThat(done.getDouble("progress")).isEqualTo(1.0);
        assertThat(done.getString("result.uuid")).isEqualTo(vm);
        assertThat(done.getString("finished")).isNotNull();
        api().get("/api/v1/vms/" + vm).then().statusCode(404).body("code", equalTo("VM_NOT_FOUND"));
        api().get("/api/v1/tasks?limit=10").then().statusCode(200).body("uuid", hasItem(destroy));
        api().get("/api/v1/tasks?status=FAILURE").then().statusCode(200).body("uuid", hasItem(start.getString("uuid")));
        api().get("/api/v1/pool").then().statusCode(200).body("name", equalTo("Atoll pool"));
    }

    @Test
    void aTemplateIsOnlyClonedAndItsClonesAreVms() throws Exception {
        // A template whose only disk is read-only (shared by its clones, nothing to copy): no host needed.
        String vm = api().body("""
                {"name": "tpl-source", "memoryMiB": 48, "boot": {"kernel": "/srv/vmlinuz", "initrd": "/srv/initrd"},
                 "disks": [{"path": "/srv/base.img", "readOnly": true}], "nics": [{"mac": "52:54:00:12:34:56"}]}
                """).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        api().post("/api/v1/vms/" + vm + "/template").then().statusCode(200).body("kind", equalTo("template"))
                .body("allowedOperations", equalTo(List.of("destroy", "clone")));
        api().post("/api/v1/vms/" + vm + "/template").then().statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"))
                .body("message", containsString("a template"));
        api().post("/api/v1/vms/" + vm + "/start").then().statusCode(409).body("code", equalTo("VM_IS_TEMPLATE_OR_SNAPSHOT"))
                .body("message", containsString("clone it"));
        api().get("/api/v1/vms?kind=template").then().statusCode(200).body("uuid", hasItem(vm));
        api().get("/api/v1/vms?kind=nonsense").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));

        String task = api().body("{\"name\": \"from-template\"}").post("/api/v1/vms/" + vm + "/clone").then().statusCode(202)
                .body("name", equalTo("vm.clone")).extract().path("uuid");
        JsonPath done = awaitTask(task, Duration.ofSeconds(10));
        assertThat(done.getString("status")).as(done.prettify()).isEqualTo("SUCCESS");
        String clone = done.getString("result.uuid");
        api().get("/api/v1/vms/" + clone).then().statusCode(200).body("kind", equalTo("vm")).body("name", equalTo("from-template"))
                .body("powerState", equalTo("HALTED")).body("memoryMiB", equalTo(48)).body("boot.initrd", equalTo("/srv/initrd"))
                .body("disks[0].path", equalTo("/srv/base.img")).body("disks[0].readOnly", equalTo(true))
                // A clone gets a MAC of its own (the host derives it from the clone's uuid).
                .body("nics[0].mac", nullValue());
        // Names stay unique among VMs and templates.
        api().body("{\"name\": \"from-template\"}").post("/api/v1/vms/" + vm + "/clone").then().statusCode(409)
                .body("code", equalTo("VM_NAME_TAKEN"));

        for (String id : List.of(clone, vm)) {
            assertThat(awaitTask(api().delete("/api/v1/vms/" + id).then().statusCode(202).extract().path("uuid"), Duration.ofSeconds(10))
                    .getString("status")).isEqualTo("SUCCESS");
        }
    }
}
