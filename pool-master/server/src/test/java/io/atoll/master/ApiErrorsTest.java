package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What the API refuses, and how: every error is {"code","message","object"} with the right status. */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class ApiErrorsTest {

    @Test
    void unknownIdsAre404WithTheirKind() {
        String id = UUID.randomUUID().toString();
        api().get("/api/v1/vms/" + id).then().statusCode(404).body("code", equalTo("VM_NOT_FOUND")).body("object", equalTo("vm " + id));
        api().get("/api/v1/hosts/" + id).then().statusCode(404).body("code", equalTo("HOST_NOT_FOUND"));
        api().delete("/api/v1/hosts/" + id).then().statusCode(404).body("code", equalTo("HOST_NOT_FOUND"));
        api().get("/api/v1/tasks/" + id).then().statusCode(404).body("code", equalTo("TASK_NOT_FOUND"));
        api().post("/api/v1/vms/" + id + "/start").then().statusCode(404).body("code", equalTo("VM_NOT_FOUND"));
        api().delete("/api/v1/vms/" + id).then().statusCode(404).body("code", equalTo("VM_NOT_FOUND"));
        // Not even a uuid: still "no such VM", not a bare 404.
        api().get("/api/v1/vms/web1").then().statusCode(404).body("code", equalTo("VM_NOT_FOUND"))
                .body("message", containsString("not a uuid"));
        api().get("/api/v1/no-such-thing").then().statusCode(404).body("code", equalTo("NOT_FOUND"));
    }

    @Test
    void malformedJsonIs400() {
        api().body("{\"name\": \"x\", ").post("/api/v1/vms").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"))
                .body("message", containsString("malformed JSON"));
        api().body("[1, 2]").post("/api/v1/hosts").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        api().body("{\"vcpus\": \"many\", \"name\": \"x\", \"memoryMiB\": 64}").post("/api/v1/vms").then().statusCode(400)
                .body("code", equalTo("INVALID_REQUEST"));
    }

    @Test
    void valuesOutOfRangeAre400WithWhatToFix() {
        api().body("{\"name\": \"x\", \"vcpus\": 0, \"memoryMiB\": 64}").post("/api/v1/vms").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("vcpus is 0"));
        api().body("{\"name\": \"x\", \"memoryMiB\": 8}").post("/api/v1/vms").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("at least 16 MiB"));
        api().body("{\"name\": \"x\"}").post("/api/v1/vms").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("memoryMiB is required"));
        api().body("{\"name\": \"x\", \"memoryMiB\": 64, \"disks\": [{\"path\": \"relative.img\"}]}").post("/api/v1/vms").then()
                .statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("absolute"));
        api().body("{\"name\": \"x\", \"memoryMiB\": 64, \"disks\": [{\"id\": \"d\", \"path\": \"/a\"}, {\"id\": \"d\", \"path\": \"/b\"}]}")
                .post("/api/v1/vms").then().statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("used twice"));
        api().body("{\"address\": \"10.0.0.5\", \"agentUrl\": \"http://10.0.0.5:7401\"}").post("/api/v1/hosts").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("not both"));
        api().body("{\"agentUrl\": \"ftp://10.0.0.5\"}").post("/api/v1/hosts").then().statusCode(400).body("code", equalTo("INVALID_SPEC"));
        api().get("/api/v1/events?from=x").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        api().get("/api/v1/events?from=0&timeout=100000").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        api().get("/api/v1/tasks?status=DONE").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
    }

    @Test
    void joiningAnAgentThatDoesNotAnswerIs502() {
        int closed = freePort();
        api().body("{\"agentUrl\": \"http://127.0.0.1:" + closed + "\"}").post("/api/v1/hosts").then().statusCode(502)
                .body("code", equalTo("HOST_UNREACHABLE")).body("message", containsString("did not answer GET /api/v1/host"));
    }

    @Test
    void operationsInTheWrongStateAre409() throws Exception {
        String vm = api().body("{\"name\": \"wrong-state\", \"memoryMiB\": 32}").post("/api/v1/vms").then().statusCode(201)
                .extract().path("uuid");
        api().post("/api/v1/vms/" + vm + "/pause").then().statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"))
                .body("message", containsString("is halted: pause needs it running; allowed now: start, destroy"));
        api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(409)
                .body("code", equalTo("OPERATION_NOT_ALLOWED"));
        api().body("{\"host\": \"" + UUID.randomUUID() + "\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(404)
                .body("code", equalTo("HOST_NOT_FOUND"));
        api().body("{\"host\": \"not-a-uuid\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(400)
                .body("code", equalTo("INVALID_REQUEST"));
        api().body("{\"name\": \"wrong-state\", \"memoryMiB\": 32}").post("/api/v1/vms").then().statusCode(409)
                .body("code", equalTo("VM_NAME_TAKEN"));
        String task = api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid");
        io.atoll.master.testing.Api.awaitTask(task, java.time.Duration.ofSeconds(10));
    }

    @Test
    void openApiAndHealthAreServed() {
        api().accept("application/json").get("/q/openapi?format=json").then().statusCode(200)
                .body("paths.'/api/v1/vms/{uuid}/start'.post", org.hamcrest.Matchers.notNullValue())
                .body("info.title", equalTo("Atoll pool master API"));
        api().get("/q/health").then().statusCode(200).body("status", equalTo("UP"));
    }

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
