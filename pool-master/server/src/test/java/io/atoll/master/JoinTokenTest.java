package io.atoll.master;

import static io.atoll.master.testing.Api.anonymous;
import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import io.atoll.master.auth.Roles;
import io.atoll.master.testing.Api;
import io.atoll.master.testing.FakeAgent;
import io.atoll.master.testing.PostgresServer;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hosts joining by themselves with a join token ({@code POST /api/v1/hosts/join}, no user token):
 * tokens shown once, listed without the secret, revoked; refused when unknown, expired or used up;
 * a failed join takes no use; two joins racing for the last use join one host; the host takes the
 * uuid its agent reports and keeps it, and an agent answering as another host makes it
 * UNREACHABLE. The agents are {@link FakeAgent}s ({@code HostJoinIT} runs the real one).
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class JoinTokenTest {
    private static final String AGENT_TOKEN = "fake-agent-token-0123";

    @Inject
    EntityManager em;

    private final List<FakeAgent> agents = new ArrayList<>();
    /** Hosts whose uuid is not their agent's, ejected at the end too. */
    private final List<UUID> hosts = new ArrayList<>();

    @Test
    void joinTokensAreShownOnceListedAndRevoked() {
        Instant before = Instant.now();
        Response created = api().post("/api/v1/pool/join-tokens");
        created.then().statusCode(201).header("Location", containsString("/api/v1/pool/join-tokens/"))
                .body("token", startsWith("atj_")).body("usesLeft", equalTo(1));
        String id = created.path("id");
        String token = created.path("token");
        Instant expires = Instant.parse(created.path("expiresAt"));
        assertThat(expires).isBetween(before.plus(59, ChronoUnit.MINUTES), Instant.now().plus(61, ChronoUnit.MINUTES));

        String three = api().body(Map.of("expiresInMinutes", 5, "uses", 3)).post("/api/v1/pool/join-tokens").then().statusCode(201)
                .body("usesLeft", equalTo(3)).extract().path("id");
        api().get("/api/v1/pool/join-tokens").then().statusCode(200).body("id", hasItem(id)).body("id", hasItem(three))
                .body("find { it.id == '" + three + "' }.uses", equalTo(3))
                .body("find { it.id == '" + three + "' }.state", equalTo("VALID"))
                .body("find { it.id == '" + id + "' }.createdBy", equalTo("test-pool-admin"))
                .body(not(containsString(token))).body(not(containsString("tokenHash")));

        api().delete("/api/v1/pool/join-tokens/" + id).then().statusCode(204);
        api().get("/api/v1/pool/join-tokens").then().body("id", not(hasItem(id)));
        api().delete("/api/v1/pool/join-tokens/" + id).then().statusCode(404).body("code", equalTo("JOIN_TOKEN_NOT_FOUND"));
        api().delete("/api/v1/pool/join-tokens/not-a-uuid").then().statusCode(404).body("code", equalTo("JOIN_TOKEN_NOT_FOUND"));
        join(token, "http://127.0.0.1:9", null).then().statusCode(401).body("code", equalTo("JOIN_TOKEN_INVALID"))
                .body("message", containsString("unknown or was revoked"));

        api().body(Map.of("uses", 0)).post("/api/v1/pool/join-tokens").then().statusCode(400).body("code", equalTo("INVALID_SPEC"));
        api().body(Map.of("expiresInMinutes", 0)).post("/api/v1/pool/join-tokens").then().statusCode(400)
                .body("message", containsString("expiresInMinutes is 0"));
        api().body(Map.of("expiresInMinutes", 10081)).post("/api/v1/pool/join-tokens").then().statusCode(400);
        // Creating join tokens hands out a way into the pool: a pool-operator may not.
        as(Roles.POOL_OPERATOR).post("/api/v1/pool/join-tokens").then().statusCode(403);
        api().delete("/api/v1/pool/join-tokens/" + three).then().statusCode(204);
    }

    @Test
    void aHostJoinsWithAJoinTokenAloneUnderItsAgentsUuid() throws Exception {
        long events = api().get("/api/v1/events").then().extract().jsonPath().getLong("token");
        long audit = Api.lastAuditId();
        String[] issued = createToken(1);
        FakeAgent agent = agent(UUID.randomUUID());

        // No Authorization header at all: the join token is the credential.
        Response joined = join(issued[1], agent.url(), AGENT_TOKEN);
        joined.then().statusCode(201).header("Location", containsString("/api/v1/hosts/" + agent.hostUuid()))
                .body("uuid", equalTo(agent.hostUuid().toString())).body("agentUrl", equalTo(agent.url()))
                .body("health", equalTo("ONLINE")).body("cpuCount", equalTo(2)).body(not(containsString(issued[1])));
        String host = agent.hostUuid().toString();
        api().get("/api/v1/pool/join-tokens").then().body("find { it.id == '" + issued[0] + "' }.usesLeft", equalTo(0))
                .body("find { it.id == '" + issued[0] + "' }.state", equalTo("USED_UP"));

        // Used up: the next host is refused, saying so.
        FakeAgent second = agent(UUID.randomUUID());
        join(issued[1], second.url(), AGENT_TOKEN).then().statusCode(401).body("code", equalTo("JOIN_TOKEN_INVALID"))
                .body("message", containsString("join token " + issued[0] + " is used up")).body("object", equalTo("join-token " + issued[0]));

        // The same machine (its uuid) under another address is one host, whoever joins it; the token keeps its use.
        String[] fresh = createToken(1);
        FakeAgent sameHost = agent(agent.hostUuid());
        join(fresh[1], sameHost.url(), AGENT_TOKEN).then().statusCode(409).body("code", equalTo("HOST_ALREADY_JOINED"))
                .body("message", containsString("host " + host + " (its agent answers at " + sameHost.url() + ") is already in the pool"));
        api().body(Map.of("agentUrl", sameHost.url(), "agentToken", AGENT_TOKEN)).post("/api/v1/hosts").then().statusCode(409)
                .body("code", equalTo("HOST_ALREADY_JOINED"));
        join(fresh[1], agent.url(), AGENT_TOKEN).then().statusCode(409).body("code", equalTo("HOST_ALREADY_JOINED"));
        api().get("/api/v1/pool/join-tokens").then().body("find { it.id == '" + fresh[0] + "' }.usesLeft", equalTo(1));

        // Ejected and joined again, it is the same host.
        api().delete("/api/v1/hosts/" + host).then().statusCode(204);
        join(fresh[1], agent.url(), AGENT_TOKEN).then().statusCode(201).body("uuid", equalTo(host));

        // The token is in no answer, event or audit record; the audit names the join token that acted.
        api().get("/api/v1/hosts").then().body(not(containsString(issued[1]))).body(not(containsString(fresh[1])));
        String eventLog = api().get("/api/v1/events?from=" + events + "&limit=10000").then().statusCode(200).extract().asString();
        assertThat(eventLog).contains(host).doesNotContain(issued[1]).doesNotContain(fresh[1]).doesNotContain(AGENT_TOKEN);
        String auditLog = api().get("/api/v1/audit?after=" + audit + "&limit=1000").then().statusCode(200).extract().asString();
        assertThat(auditLog).doesNotContain(issued[1]).doesNotContain(fresh[1]).doesNotContain(AGENT_TOKEN);
        List<Map<String, Object>> records = api().get("/api/v1/audit?after=" + audit + "&limit=1000").then().extract().jsonPath().getList("");
        List<String> seen = records.stream().map(r -> r.get("username") + " " + r.get("role") + " " + r.get("method") + " " + r.get("path")
                + " " + r.get("object") + " " + r.get("status") + " " + r.get("errorCode")).toList();
        assertThat(seen).containsSubsequence(
                "test-pool-admin pool-admin POST /api/v1/pool/join-tokens join-token " + issued[0] + " 201 null",
                "join-token " + issued[0] + " null POST /api/v1/hosts/join host " + host + " 201 null",
                "join-token " + issued[0] + " null POST /api/v1/hosts/join join-token " + issued[0] + " 401 JOIN_TOKEN_INVALID",
                "join-token " + fresh[0] + " null POST /api/v1/hosts/join host " + host + " 409 HOST_ALREADY_JOINED",
                "join-token " + fresh[0] + " null POST /api/v1/hosts/join host " + host + " 201 null");
    }

    @Test
    void aFailedJoinTakesNoUse() throws Exception {
        String[] issued = createToken(1);
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        join(issued[1], "http://127.0.0.1:" + closed, AGENT_TOKEN).then().statusCode(502).body("code", equalTo("HOST_UNREACHABLE"));
        FakeAgent agent = agent(UUID.randomUUID());
        join(issued[1], agent.url(), "wrong-token").then().statusCode(400).body("code", equalTo("HOST_AGENT_UNAUTHORIZED"));
        join(issued[1], "ftp://" + agent.url().substring(7), AGENT_TOKEN).then().statusCode(400).body("code", equalTo("INVALID_SPEC"));
        anonymous().body(Map.of("agentUrl", agent.url())).post("/api/v1/hosts/join").then().statusCode(400)
                .body("message", containsString("joinToken is required"));
        api().get("/api/v1/pool/join-tokens").then().body("find { it.id == '" + issued[0] + "' }.usesLeft", equalTo(1));

        // Nothing that is not a live join token gets past the check, not even a user's token.
        join("atj_made-up", agent.url(), AGENT_TOKEN).then().statusCode(401).body("code", equalTo("JOIN_TOKEN_INVALID"));
        join(io.atoll.master.testing.TestAuth.admin(), agent.url(), AGENT_TOKEN).then().statusCode(401)
                .body("code", equalTo("JOIN_TOKEN_INVALID"));

        join(issued[1], agent.url(), AGENT_TOKEN).then().statusCode(201).body("uuid", equalTo(agent.hostUuid().toString()));
    }

    @Test
    void anExpiredTokenIsRefusedSayingWhen() throws Exception {
        String[] issued = createToken(2);
        Instant past = Instant.now().minus(5, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
        QuarkusTransaction.requiringNew().run(() -> em.createQuery("update JoinTokenEntity t set t.expiresAt = :at where t.uuid = :id")
                .setParameter("at", past).setParameter("id", UUID.fromString(issued[0])).executeUpdate());
        FakeAgent agent = agent(UUID.randomUUID());
        join(issued[1], agent.url(), AGENT_TOKEN).then().statusCode(401).body("code", equalTo("JOIN_TOKEN_INVALID"))
                .body("message", equalTo("join token " + issued[0] + " expired at " + past + ": create a new one (atoll pool join-token create)"));
        api().get("/api/v1/pool/join-tokens").then().body("find { it.id == '" + issued[0] + "' }.state", equalTo("EXPIRED"))
                .body("find { it.id == '" + issued[0] + "' }.usesLeft", equalTo(2));
        api().get("/api/v1/hosts").then().body("uuid", not(hasItem(agent.hostUuid().toString())));
    }

    @Test
    void twoJoinsRacingForAOneUseTokenJoinExactlyOneHost() throws Exception {
        String[] issued = createToken(1);
        // Both agents answer only once both joins have asked them: both got past the token check.
        CyclicBarrier bothAsked = new CyclicBarrier(2);
        FakeAgent a = agent(UUID.randomUUID());
        FakeAgent b = agent(UUID.randomUUID());
        a.holdFactsUntil(bothAsked);
        b.holdFactsUntil(bothAsked);
        ExecutorService two = Executors.newFixedThreadPool(2);
        List<Response> answers;
        try {
            Future<Response> joinA = two.submit(() -> join(issued[1], a.url(), AGENT_TOKEN));
            Future<Response> joinB = two.submit(() -> join(issued[1], b.url(), AGENT_TOKEN));
            answers = List.of(joinA.get(60, TimeUnit.SECONDS), joinB.get(60, TimeUnit.SECONDS));
        } finally {
            a.holdFactsUntil(null);
            b.holdFactsUntil(null);
            two.shutdownNow();
        }

        assertThat(answers.stream().map(Response::statusCode).sorted().toList()).as(answers.get(0).asString() + answers.get(1).asString())
                .containsExactly(201, 401);
        Response lost = answers.stream().filter(r -> r.statusCode() == 401).findFirst().orElseThrow();
        assertThat(lost.<String>path("message")).contains("is used up");
        List<String> hosts = api().get("/api/v1/hosts").then().extract().jsonPath().getList("uuid");
        assertThat(hosts.stream().filter(h -> h.equals(a.hostUuid().toString()) || h.equals(b.hostUuid().toString())).count()).isEqualTo(1);
    }

    @Test
    void anAgentAnsweringAsAnotherHostMakesItUnreachable() throws Exception {
        FakeAgent agent = agent(UUID.randomUUID());
        String host = join(createToken(1)[1], agent.url(), AGENT_TOKEN).then().statusCode(201).extract().path("uuid");
        UUID stranger = UUID.randomUUID();
        agent.reportAs(stranger);
        Api.await("host UNREACHABLE", Duration.ofSeconds(15),
                () -> "UNREACHABLE".equals(api().get("/api/v1/hosts/" + host).then().extract().path("health")));
        api().get("/api/v1/hosts/" + host).then().body("healthReason", containsString("answers as host " + stranger))
                .body("healthReason", containsString("another machine took the address"));
        // The machine comes back: ONLINE again.
        agent.reportAs(UUID.fromString(host));
        Api.await("host ONLINE", Duration.ofSeconds(15),
                () -> "ONLINE".equals(api().get("/api/v1/hosts/" + host).then().extract().path("health")));
    }

    @Test
    void aHostJoinedBeforeAgentsReportedTheirUuidLearnsItAtTheNextPoll() throws Exception {
        // A host as an older master recorded it: a pool uuid of its own, no agent identity. It learns it and stays ONLINE.
        FakeAgent one = agent(UUID.randomUUID());
        UUID legacyOne = legacy(join(createToken(1)[1], one.url(), AGENT_TOKEN));
        Api.await("the identity learnt", Duration.ofSeconds(15), () -> one.hostUuid().equals(agentHostUuid(legacyOne)));
        api().get("/api/v1/hosts/" + legacyOne).then().body("health", equalTo("ONLINE"));

        // Another such host turns out to be the same machine, joined a second time under another address.
        FakeAgent twice = agent(UUID.randomUUID());
        String joined = join(createToken(1)[1], twice.url(), AGENT_TOKEN).then().statusCode(201).extract().path("uuid");
        twice.reportAs(one.hostUuid());
        UUID legacyTwice = legacy(joined);
        Api.await("the duplicate UNREACHABLE", Duration.ofSeconds(15), () -> String.valueOf(api().get("/api/v1/hosts/" + legacyTwice).then()
                .extract().<String>path("healthReason")).contains("eject this duplicate"));
        api().get("/api/v1/hosts/" + legacyTwice).then().body("health", equalTo("UNREACHABLE")).body("healthReason",
                containsString("is host " + one.hostUuid() + ", which is in the pool already as host " + legacyOne));
        api().get("/api/v1/hosts/" + legacyOne).then().body("health", equalTo("ONLINE"));
    }

    /** Rewrites a joined host as a master before V30 left it: a random uuid, no agent identity. */
    private UUID legacy(Response joined) {
        return legacy(joined.then().statusCode(201).extract().<String>path("uuid"));
    }

    private UUID legacy(String joined) {
        UUID now = UUID.fromString(joined);
        UUID old = UUID.randomUUID();
        hosts.add(old);
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("update host set uuid = ?1, agent_host_uuid = null where uuid = ?2")
                .setParameter(1, old).setParameter(2, now).executeUpdate());
        return old;
    }

    private UUID agentHostUuid(UUID host) {
        return QuarkusTransaction.requiringNew().call(() -> em.find(io.atoll.master.host.HostEntity.class, host).getAgentHostUuid());
    }

    @AfterEach
    void ejectAndStop() {
        // Other tests of this application expect a pool without hosts.
        for (FakeAgent agent : agents) {
            api().delete("/api/v1/hosts/" + agent.hostUuid());
            agent.close();
        }
        agents.clear();
        hosts.forEach(host -> api().delete("/api/v1/hosts/" + host));
        hosts.clear();
    }

    private FakeAgent agent(UUID hostUuid) throws Exception {
        FakeAgent agent = FakeAgent.start(hostUuid, AGENT_TOKEN);
        agents.add(agent);
        return agent;
    }

    /** A new join token: {id, token}. */
    private static String[] createToken(int uses) {
        Response created = api().body(Map.of("uses", uses)).post("/api/v1/pool/join-tokens");
        created.then().statusCode(201);
        return new String[] {created.path("id"), created.path("token")};
    }

    private static Response join(String joinToken, String agentUrl, String agentToken) {
        Map<String, String> body = agentToken == null ? Map.of("joinToken", joinToken, "agentUrl", agentUrl)
                : Map.of("joinToken", joinToken, "agentUrl", agentUrl, "agentToken", agentToken);
        return anonymous().body(body).post("/api/v1/hosts/join");
    }
}
