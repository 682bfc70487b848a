package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.atoll.master.testing.Api;
import io.atoll.master.testing.NodeAgentProcess;
import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A host joins with its agent's token (a real node agent process), is polled, turns UNREACHABLE
 * when its agent dies, and is ejected. The token is never part of an answer.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class HostJoinIT {
    private NodeAgentProcess agent;

    @Test
    void aHostJoinsWithItsTokenIsPolledAndEjected() throws Exception {
        agent = NodeAgentProcess.start(true);
        String token = agent.token();
        String url = agent.url();

        // The agent demands its token: without it, or with a wrong one, the join is refused.
        api().body("{\"agentUrl\": \"" + url + "\"}").post("/api/v1/hosts").then().statusCode(400)
                .body("code", equalTo("HOST_AGENT_UNAUTHORIZED")).body("message", containsString("refused the agent token"));
        api().body("{\"agentUrl\": \"" + url + "\", \"agentToken\": \"wrong\"}").post("/api/v1/hosts").then().statusCode(400)
                .body("code", equalTo("HOST_AGENT_UNAUTHORIZED"));

        // With it: 201, the agent's facts recorded, the token nowhere in the answer.
        var joined = api().body("{\"agentUrl\": \"" + url + "/\", \"agentToken\": \"" + token + "\"}").post("/api/v1/hosts").then()
                .statusCode(201).header("Location", containsString("/api/v1/hosts/"))
                .body("agentUrl", equalTo(url)).body("address", equalTo("127.0.0.1")).body("health", equalTo("ONLINE"))
                .body("enabled", equalTo(true)).body("cpuCount", greaterThan(0)).body("memoryTotalBytes", greaterThan(0L))
                .body("accelerator", anyOf(equalTo("kvm"), equalTo("tcg"))).body("qemuVersion", notNullValue())
                .body(not(containsString(token))).extract();
        String host = joined.path("uuid");
        api().get("/api/v1/hosts").then().statusCode(200).body("uuid", hasItem(host)).body(not(containsString(token)));
        api().get("/api/v1/hosts/" + host).then().statusCode(200).body("name", not(equalTo(null))).body(not(containsString(token)));
        api().get("/api/v1/events?from=0&limit=10000").then().statusCode(200).body(not(containsString(token)));

        // The same agent twice is one host.
        api().body("{\"agentUrl\": \"" + url + "\", \"agentToken\": \"" + token + "\"}").post("/api/v1/hosts").then().statusCode(409)
                .body("code", equalTo("HOST_ALREADY_JOINED")).body("message", containsString(host));

        api().post("/api/v1/hosts/" + host + "/disable").then().statusCode(200).body("enabled", equalTo(false));
        api().post("/api/v1/hosts/" + host + "/enable").then().statusCode(200).body("enabled", equalTo(true));

        // The agent dies: within a few polls the host is UNREACHABLE, with the reason.
        long since = api().get("/api/v1/events").then().extract().jsonPath().getLong("token");
        agent.kill();
        Api.await("host UNREACHABLE", Duration.ofSeconds(15),
                () -> "UNREACHABLE".equals(api().get("/api/v1/hosts/" + host).then().extract().path("health")));
        api().get("/api/v1/hosts/" + host).then().body("healthReason", containsString("did not answer"));
        var events = api().get("/api/v1/events?from=" + since).then().statusCode(200).extract().jsonPath();
        assertThat(events.getList("events.findAll { it.ref == '" + host + "' }.snapshot.health")).contains("UNREACHABLE");

        api().delete("/api/v1/hosts/" + host).then().statusCode(204);
        api().get("/api/v1/hosts/" + host).then().statusCode(404).body("code", equalTo("HOST_NOT_FOUND"));
    }

    @Test
    void aHostJoinsItselfWithAJoinTokenUnderTheUuidItsAgentKeeps() throws Exception {
        agent = NodeAgentProcess.start(true);
        String hostUuid = Files.readString(agent.root().resolve("host-uuid")).trim();
        var issued = api().body("{\"uses\": 2}").post("/api/v1/pool/join-tokens").then().statusCode(201).extract();
        String joinToken = issued.path("token");

        // What `atoll host join` sends from the host: no user token, the join token and the agent's own.
        String host = Api.anonymous().body(Map.of("joinToken", joinToken, "agentUrl", agent.url(), "agentToken", agent.token()))
                .post("/api/v1/hosts/join").then().statusCode(201)
                .body("uuid", equalTo(hostUuid)).body("agentUrl", equalTo(agent.url())).body("health", equalTo("ONLINE"))
                .body("cpuCount", greaterThan(0)).body(not(containsString(joinToken))).body(not(containsString(agent.token())))
                .extract().path("uuid");
        api().get("/api/v1/pool/join-tokens").then().body("find { it.id == '" + issued.path("id") + "' }.usesLeft", equalTo(1));

        // Polls find the same host at that address: it stays ONLINE.
        long since = api().get("/api/v1/events").then().extract().jsonPath().getLong("token");
        Thread.sleep(3000); // three polls at 1 s: what is checked is that nothing changes, so there is no condition to wait for
        api().get("/api/v1/hosts/" + host).then().body("health", equalTo("ONLINE"));
        assertThat(api().get("/api/v1/events?from=" + since).then().extract().jsonPath().getList("events.findAll { it.ref == '" + host
                + "' }.snapshot.health")).doesNotContain("UNREACHABLE");

        // Ejected and joined again (here by a pool-admin), it is the same host.
        api().delete("/api/v1/hosts/" + host).then().statusCode(204);
        api().body(Map.of("agentUrl", agent.url(), "agentToken", agent.token())).post("/api/v1/hosts").then().statusCode(201)
                .body("uuid", equalTo(hostUuid));
        api().delete("/api/v1/hosts/" + host).then().statusCode(204);
    }

    @AfterEach
    void stopAgent() {
        if (agent != null) {
            agent.close();
        }
    }
}
