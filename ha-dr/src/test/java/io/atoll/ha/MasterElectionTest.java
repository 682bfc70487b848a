package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.ha.testing.Await;
import io.atoll.ha.testing.PostgresServer;
import io.atoll.ha.testing.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three would-be masters in one JVM, each a real cluster member with its own lease client on one
 * PostgreSQL. Scenario: exactly one becomes active; the active one is cut off from the cluster → it
 * steps down (a minority) and a majority member takes over with a greater epoch; the cut-off one never
 * becomes active while cut off; at no sampled instant are two active.
 */
class MasterElectionTest {
    private static final HaTimings T = new HaTimings(Duration.ofSeconds(3));
    private static PostgresServer postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresServer.start();
        postgres.resetLease();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void exactlyOneActiveAndAMinorityCannotHoldOrTakeTheLease() throws Exception {
        List<MemberId> ids = List.of(MemberId.master("m0"), MemberId.master("m1"), MemberId.master("m2"));
        Quorum q = Quorum.of(ids);
        List<String> events = new CopyOnWriteArrayList<>();
        List<ClusterMember> members = new ArrayList<>();
        List<MasterElection> elections = new ArrayList<>();
        TestCluster cluster = new TestCluster(T, 3);
        try {
            for (int i = 0; i < 3; i++) {
                members.add(cluster.join(i, ids.get(i), q));
            }
            for (int i = 0; i < 3; i++) {
                String name = ids.get(i).name();
                elections.add(MasterElection.start(new MasterLease(postgres.dataSource(), name, T), members.get(i), T,
                        new MasterElection.Listener() {
                            @Override
                            public void activated(FencingToken token) {
                                events.add(name + " active " + token.epoch());
                            }

                            @Override
                            public void deactivated(FencingToken token, String reason) {
                                events.add(name + " stopped " + token.epoch());
                            }
                        }));
            }
            Await.until(T.timeout().multipliedBy(3), () -> "one active: " + events, () -> active(elections).size() == 1);
            sampleAtMostOneActive(elections, T.timeout());
            int first = active(elections).get(0);
            long firstEpoch = elections.get(first).token().orElseThrow().epoch();

            TestCluster.isolate(members.get(first));
            Await.until(T.timeout().multipliedBy(4), () -> "another active: " + events,
                    () -> active(elections).size() == 1 && active(elections).get(0) != first);
            int second = active(elections).get(0);
            assertThat(elections.get(second).token().orElseThrow().epoch()).isGreaterThan(firstEpoch);
            assertThat(members.get(first).inMajority()).isFalse();
            // Cut off, the old master stays out even though the database is reachable.
            sampleAtMostOneActive(elections, T.timeout().multipliedBy(2));
            assertThat(elections.get(first).isActive()).isFalse();
            assertThat(events).contains(ids.get(first).name() + " stopped " + firstEpoch);
        } finally {
            elections.forEach(MasterElection::close);
            cluster.close();
        }
    }

    private static List<Integer> active(List<MasterElection> elections) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < elections.size(); i++) {
            if (elections.get(i).isActive()) {
                out.add(i);
            }
        }
        return out;
    }

    private static void sampleAtMostOneActive(List<MasterElection> elections, Duration during) throws InterruptedException {
        long end = System.nanoTime() + during.toNanos();
        while (System.nanoTime() < end) {
            assertThat(active(elections)).hasSizeLessThanOrEqualTo(1);
            Thread.sleep(10);
        }
    }
}
