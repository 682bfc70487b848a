package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Networks as pool objects: create (bridge named when omitted), unique names and bridges, read, destroy. */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class NetworkApiTest {

    @Test
    void networksAreCreatedReadAndDestroyed() {
        String net = api().body("{\"name\": \"backend\"}").post("/api/v1/networks").then().statusCode(201)
                .body("mtu", equalTo(1500)).body("bridge", containsString("xapi")).extract().path("uuid");
        api().body("{\"name\": \"backend\"}").post("/api/v1/networks").then().statusCode(409).body("code", equalTo("NETWORK_NAME_TAKEN"));
        String bridge = api().get("/api/v1/networks/" + net).then().statusCode(200).extract().path("bridge");
        api().body("{\"name\": \"other\", \"bridge\": \"" + bridge + "\"}").post("/api/v1/networks").then().statusCode(409)
                .body("message", containsString("bridge " + bridge));
        api().body("{\"name\": \"jumbo\", \"bridge\": \"br-jumbo\", \"mtu\": 9000}").post("/api/v1/networks").then().statusCode(201);
        api().body("{\"name\": \"bad\", \"bridge\": \"a-bridge-name-too-long\"}").post("/api/v1/networks").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC"));
        api().body("{\"name\": \"bad\", \"mtu\": 20}").post("/api/v1/networks").then().statusCode(400).body("message", containsString("MTU"));
        api().get("/api/v1/networks").then().statusCode(200).body("name", hasItem("backend")).body("name", hasItem("jumbo"));
        api().delete("/api/v1/networks/" + net).then().statusCode(204);
        api().get("/api/v1/networks/" + net).then().statusCode(404).body("code", equalTo("NETWORK_NOT_FOUND"));
        api().delete("/api/v1/networks/" + UUID.randomUUID()).then().statusCode(404);
        api().get("/api/v1/networks").then().body("name", not(hasItem("backend")));
    }
}
