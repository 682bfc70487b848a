package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.master.host.HostEntity;
import io.atoll.master.host.HostService;
import io.atoll.master.testing.FakeAgent;
import io.atoll.master.testing.PostgresServer;
import io.atoll.node.api.HostFacts;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A poll's answer is written only when it changes something, and never waits for an operation
 * that holds the host's row: the poll is skipped for that host (its answer still counts as the
 * host's) and the next one writes. Against PostgreSQL, with a transaction of the test holding the row.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class HostPollTest {
    private static final String AGENT_TOKEN = "fake-agent-token-polls";

    @Inject
    HostService hosts;

    @Inject
    EntityManager em;

    @Test
    void aPollDoesNotWaitForARowAnOperationHoldsAndWritesOnlyChanges() throws Exception {
        try (FakeAgent agent = FakeAgent.start(UUID.randomUUID(), AGENT_TOKEN)) {
            UUID host = UUID.fromString(api().body(Map.of("agentUrl", agent.url(), "agentToken", AGENT_TOKEN)).post("/api/v1/hosts").then()
                    .statusCode(201).extract().path("uuid"));
            try {
                HostFacts joined = agent.factsNow();
                long freeAtJoin = joined.memoryFreeForVmsBytes();
                assertThat(hosts.recordFacts(host, joined)).as("the same facts again: the host's answer").isTrue();

                // The agent reports less free memory from now on (as the master's own poller will see it too).
                agent.reportFreeForVms(freeAtJoin - (1L << 30));
                HostFacts lessFree = agent.factsNow();
                CountDownLatch locked = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                Thread holder = new Thread(() -> QuarkusTransaction.requiringNew().run(() -> {
                    em.find(HostEntity.class, host, LockModeType.PESSIMISTIC_WRITE);
                    locked.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }), "holds-the-host-row");
                holder.start();
                try {
                    assertThat(locked.await(10, TimeUnit.SECONDS)).isTrue();
                    long began = System.nanoTime();
                    assertThat(hosts.recordFacts(host, lessFree)).as("still the host's answer").isTrue();
                    assertThat(Duration.ofNanos(System.nanoTime() - began)).as("the poll did not wait for the row's holder")
                            .isLessThan(Duration.ofSeconds(5));
                    assertThat(freeForVms(host)).as("nothing written while the row is held").isEqualTo(freeAtJoin);
                } finally {
                    release.countDown();
                    holder.join(10_000);
                }
                assertThat(hosts.recordFacts(host, lessFree)).isTrue();
                assertThat(freeForVms(host)).as("the next poll writes the change").isEqualTo(freeAtJoin - (1L << 30));
            } finally {
                api().delete("/api/v1/hosts/" + host);
            }
        }
    }

    private long freeForVms(UUID host) {
        return api().get("/api/v1/hosts/" + host).then().statusCode(200).extract().jsonPath().getLong("memoryFreeForVmsBytes");
    }
}
