package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasItem;

import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The storage API's refusals that need no host: bad names and sizes, unknown repositories and
 * disks, VM disks of the wrong shape — each a clear 4xx with a code, and nothing left behind.
 * What needs hosts (create, attach, snapshots, clones on real adapters) is in StorageEndToEndIT.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class StorageApiTest {

    @Test
    void repositoriesRefuseBadInput() {
        api().get("/api/v1/srs").then().statusCode(200);
        api().body("{\"name\": \"..hidden\", \"type\": \"local\"}").post("/api/v1/srs").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("storage repository name '..hidden' is not allowed"));
        api().body("{\"name\": \"a/b\", \"type\": \"local\"}").post("/api/v1/srs").then().statusCode(400).body("code", equalTo("INVALID_SPEC"));
        api().body("{\"name\": \"ok\", \"type\": \"Bad Type\"}").post("/api/v1/srs").then().statusCode(400)
                .body("message", containsString("type 'Bad Type' is invalid"));
        api().body("{\"name\": \"ok\", \"type\": \"nfs\", \"create\": false}").post("/api/v1/srs").then().statusCode(400)
                .body("message", containsString("needs its uuid"));
        api().body("{\"name\": \"ok\", \"type\": \"local\", \"host\": \"" + UUID.randomUUID() + "\"}").post("/api/v1/srs").then()
                .statusCode(404).body("code", equalTo("HOST_NOT_FOUND"));
        api().get("/api/v1/srs/not-a-uuid").then().statusCode(404).body("code", equalTo("SR_NOT_FOUND"));
        api().get("/api/v1/srs/" + UUID.randomUUID()).then().statusCode(404).body("code", equalTo("SR_NOT_FOUND"));
        api().post("/api/v1/srs/" + UUID.randomUUID() + "/scan").then().statusCode(404).body("code", equalTo("SR_NOT_FOUND"));
        api().body("{}").post("/api/v1/srs/" + UUID.randomUUID() + "/attach").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        api().delete("/api/v1/srs/" + UUID.randomUUID() + "?destroyData=maybe").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        api().get("/api/v1/srs").then().statusCode(200).body("name", not(hasItem("ok")));
    }

    @Test
    void disksRefuseBadInput() {
        String sr = UUID.randomUUID().toString();
        api().body("{\"sr\": \"" + sr + "\", \"name\": \"d\", \"sizeBytes\": 1000}").post("/api/v1/vdis").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("multiple of 512"));
        api().body("{\"name\": \"d\", \"sizeBytes\": 1024}").post("/api/v1/vdis").then().statusCode(400)
                .body("message", containsString("'sr'"));
        api().body("{\"sr\": \"" + sr + "\", \"name\": \"d\", \"sizeBytes\": 1048576}").post("/api/v1/vdis").then().statusCode(404)
                .body("code", equalTo("SR_NOT_FOUND"));
        api().get("/api/v1/vdis/" + UUID.randomUUID()).then().statusCode(404).body("code", equalTo("VDI_NOT_FOUND"));
        api().get("/api/v1/vdis?sr=" + UUID.randomUUID()).then().statusCode(404).body("code", equalTo("SR_NOT_FOUND"));
        api().body("{\"sizeBytes\": 0}").post("/api/v1/vdis/" + UUID.randomUUID() + "/resize").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC"));
        api().delete("/api/v1/vdis/" + UUID.randomUUID()).then().statusCode(404).body("code", equalTo("VDI_NOT_FOUND"));
    }

    @Test
    void vmDisksMustBeOfOneKindAndExist() {
        api().body("{\"name\": \"two-kinds\", \"memoryMiB\": 32, \"disks\": [{\"path\": \"/srv/a.img\", \"vdi\": \"" + UUID.randomUUID() + "\"}]}")
                .post("/api/v1/vms").then().statusCode(400).body("code", equalTo("INVALID_SPEC"))
                .body("message", containsString("exactly one of 'vdi'"));
        api().body("{\"name\": \"no-sr\", \"memoryMiB\": 32, \"disks\": [{\"sizeBytes\": 1048576}]}").post("/api/v1/vms").then()
                .statusCode(400).body("message", containsString("exactly one of"));
        api().body("{\"name\": \"fmt\", \"memoryMiB\": 32, \"disks\": [{\"vdi\": \"" + UUID.randomUUID() + "\", \"format\": \"qcow2\"}]}")
                .post("/api/v1/vms").then().statusCode(400).body("message", containsString("only image paths take one"));
        api().body("{\"name\": \"ghost-vdi\", \"memoryMiB\": 32, \"disks\": [{\"vdi\": \"" + UUID.randomUUID() + "\"}]}")
                .post("/api/v1/vms").then().statusCode(404).body("code", equalTo("VDI_NOT_FOUND"));
        api().body("{\"name\": \"ghost-sr\", \"memoryMiB\": 32, \"disks\": [{\"sr\": \"" + UUID.randomUUID() + "\", \"sizeBytes\": 1048576}]}")
                .post("/api/v1/vms").then().statusCode(404).body("code", equalTo("SR_NOT_FOUND"));
        api().get("/api/v1/vms").then().statusCode(200).body("name", not(hasItem("ghost-vdi"))).body("name", not(hasItem("ghost-sr")));
    }
}
