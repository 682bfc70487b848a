package io.atoll.master.ha;

import static io.atoll.master.testing.Api.api;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;

import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** HA's API on a pool without hosts: settings refused clearly, VM restart policies, the master's state, alerts. */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class HaApiTest {

    @Test
    void aLoneMasterIsActiveAndHaIsOffUntilEnabled() {
        api().get("/api/v1/pool/ha").then().statusCode(200).body("enabled", equalTo(false)).body("master.active", equalTo(true))
                .body("master.clustered", equalTo(false)).body("master.epoch", equalTo(0)).body("timeoutSeconds", equalTo(10));
        api().get("/api/v1/pool/masters").then().statusCode(200).body("$", hasSize(1)).body("[0].active", equalTo(true));
    }

    @Test
    void enablingHaNeedsAStatefileRepositoryThatExists() {
        api().body("{\"enabled\": true}").put("/api/v1/pool/ha").then().statusCode(400).body("code", equalTo("INVALID_SPEC"))
                .body("message", containsString("statefile"));
        api().body("{\"enabled\": true, \"statefileSr\": \"no-such-sr\"}").put("/api/v1/pool/ha").then().statusCode(404)
                .body("code", equalTo("SR_NOT_FOUND")).body("message", containsString("no-such-sr"));
        api().body("{\"hostFailuresToTolerate\": -1}").put("/api/v1/pool/ha").then().statusCode(400).body("code", equalTo("INVALID_SPEC"))
                .body("message", containsString("hostFailuresToTolerate"));
        api().put("/api/v1/pool/ha").then().statusCode(400);
        api().get("/api/v1/pool/ha").then().statusCode(200).body("enabled", equalTo(false));
    }

    @Test
    void aVmsRestartPolicyIsSetReadAndChecked() throws InterruptedException {
        String vm = api().body("""
                {"name": "ha-protected", "memoryMiB": 64, "boot": {"kernel": "/srv/vmlinuz"}}
                """).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        api().get("/api/v1/vms/" + vm + "/ha").then().statusCode(200).body("restartPriority", equalTo("none"))
                .body("restartPending", equalTo(false));
        api().body("{\"restartPriority\": \"restart\", \"restartOrder\": 2, \"startDelaySeconds\": 1}").put("/api/v1/vms/" + vm + "/ha")
                .then().statusCode(200).body("restartPriority", equalTo("restart")).body("restartOrder", equalTo(2));
        api().body("{\"restartOrder\": 5}").put("/api/v1/vms/" + vm + "/ha").then().statusCode(200)
                .body("restartPriority", equalTo("restart")).body("restartOrder", equalTo(5)).body("startDelaySeconds", equalTo(1));
        api().get("/api/v1/pool/ha").then().statusCode(200).body("protectedVms.uuid", hasItem(vm));
        api().body("{\"restartPriority\": \"always\"}").put("/api/v1/vms/" + vm + "/ha").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("best-effort"));
        api().body("{\"startDelaySeconds\": -3}").put("/api/v1/vms/" + vm + "/ha").then().statusCode(400)
                .body("message", containsString("startDelaySeconds"));
        api().body("{\"restartPriority\": \"restart\"}").put("/api/v1/vms/" + UUID.randomUUID() + "/ha").then().statusCode(404)
                .body("code", equalTo("VM_NOT_FOUND"));
        api().put("/api/v1/vms/" + vm + "/ha").then().statusCode(400);
        // Destroying the VM takes its policy with it.
        api().delete("/api/v1/vms/" + vm).then().statusCode(202);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (api().get("/api/v1/vms/" + vm).statusCode() != 404) {
            org.assertj.core.api.Assertions.assertThat(System.nanoTime()).as("vm %s destroyed", vm).isLessThan(deadline);
            Thread.sleep(50);
        }
        api().get("/api/v1/vms/" + vm + "/ha").then().statusCode(404);
    }

    @Test
    void alertsAreListedNewestFirstAndBadFiltersRefused() {
        api().get("/api/v1/alerts").then().statusCode(200);
        api().get("/api/v1/alerts?since=yesterday").then().statusCode(400).body("message", containsString("since"));
        api().get("/api/v1/alerts?limit=0").then().statusCode(400);
    }
}
