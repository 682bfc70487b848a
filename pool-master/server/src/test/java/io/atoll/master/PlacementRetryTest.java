package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.atoll.master.testing.Api;
import io.atoll.master.testing.FakeAgent;
import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The agent's memory admission is the final word: when the host placement chose refuses a start
 * for memory (the master's figure for it was stale), a start the master placed goes to the next
 * host; a start on a named host is not moved; when every host refuses, the task fails with the
 * agents' reason, the VM is halted and no host keeps its definition. Two stand-in agents.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class PlacementRetryTest {
    private static final Duration TASK = Duration.ofSeconds(30);
    private static final String AGENT_TOKEN = "fake-agent-token-placement";

    @Test
    void aStartRefusedForMemoryIsPlacedAgainOnAnotherHost() throws Exception {
        try (FakeAgent agentA = FakeAgent.start(UUID.randomUUID(), AGENT_TOKEN); FakeAgent agentB = FakeAgent.start(UUID.randomUUID(), AGENT_TOKEN)) {
            // A says it has the most room, so placement tries it first; it refuses every start.
            agentA.reportFreeForVms(3L << 30);
            agentA.refuseStartsForMemory(true);
            agentB.reportFreeForVms(1L << 30);
            String hostA = join(agentA);
            String hostB = join(agentB);
            List<String> vms = new ArrayList<>();
            try {
                String first = create("placed-again", vms);
                succeeded(start(first, null), TASK);
                api().get("/api/v1/vms/" + first).then().body("powerState", equalTo("RUNNING")).body("residentOn", equalTo(hostB));
                UUID firstUuid = UUID.fromString(first);
                assertThat(agentA.startsAsked).as("placement tried the host with the most room first").containsExactly(firstUuid);
                assertThat(agentA.vms).as("the refusing host keeps no definition").doesNotContainKey(firstUuid);
                assertThat(agentB.vms.get(firstUuid).powerState().name()).isEqualTo("RUNNING");

                // Named host: the administrator's choice is not overridden.
                String named = create("named-host", vms);
                JsonPath refused = Api.awaitTask(start(named, hostA), TASK);
                assertThat(refused.getString("status")).isEqualTo("FAILURE");
                assertThat(refused.getString("error.message")).contains("INSUFFICIENT_MEMORY");
                api().get("/api/v1/vms/" + named).then().body("powerState", equalTo("HALTED")).body("residentOn", nullValue());
                assertThat(agentB.startsAsked).doesNotContain(UUID.fromString(named));

                // Every host refuses: each is tried once, the task fails with the reason, nothing stays defined.
                agentB.refuseStartsForMemory(true);
                String nowhere = create("nowhere", vms);
                UUID nowhereUuid = UUID.fromString(nowhere);
                JsonPath failed = Api.awaitTask(start(nowhere, null), TASK);
                assertThat(failed.getString("status")).isEqualTo("FAILURE");
                assertThat(failed.getString("error.message")).contains("INSUFFICIENT_MEMORY");
                assertThat(agentA.startsAsked.stream().filter(nowhereUuid::equals)).hasSize(1);
                assertThat(agentB.startsAsked.stream().filter(nowhereUuid::equals)).hasSize(1);
                assertThat(agentA.vms).doesNotContainKey(nowhereUuid);
                assertThat(agentB.vms).doesNotContainKey(nowhereUuid);
                api().get("/api/v1/vms/" + nowhere).then().body("powerState", equalTo("HALTED")).body("residentOn", nullValue())
                        .body("currentOperation", nullValue());
            } finally {
                for (String vm : vms) {
                    if ("RUNNING".equals(api().get("/api/v1/vms/" + vm).then().extract().path("powerState"))) {
                        succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202)
                                .extract().path("uuid"), TASK);
                    }
                    succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"), TASK);
                }
                api().delete("/api/v1/hosts/" + hostA);
                api().delete("/api/v1/hosts/" + hostB);
            }
        }
    }

    private static String join(FakeAgent agent) {
        return api().body(Map.of("agentUrl", agent.url(), "agentToken", AGENT_TOKEN)).post("/api/v1/hosts").then().statusCode(201)
                .extract().path("uuid");
    }

    private static String create(String name, List<String> created) {
        String uuid = api().body("{\"name\": \"" + name + "\", \"memoryMiB\": 64}").post("/api/v1/vms").then().statusCode(201)
                .extract().path("uuid");
        created.add(uuid);
        return uuid;
    }

    private static String start(String vm, String host) {
        return api().body(host == null ? "{}" : "{\"host\": \"" + host + "\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(202)
                .extract().path("uuid");
    }
}
