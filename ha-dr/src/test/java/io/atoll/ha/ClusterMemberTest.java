package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.ha.testing.Await;
import io.atoll.ha.testing.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Three real JGroups members on loopback in one JVM: a master and two agents. Scenario: all join → one
 * view, majority everywhere; one host is cut off → it is a minority of one, the others a majority of
 * two; the cut heals → MERGE3 merges them into one view again; a member leaves → the others see it at once.
 */
class ClusterMemberTest {
    private static final HaTimings T = new HaTimings(Duration.ofSeconds(4));
    private static final Duration WAIT = T.timeout().multipliedBy(3);

    @Test
    void viewsMajorityPartitionAndMerge() throws Exception {
        MemberId master = MemberId.master("m1");
        MemberId h1 = MemberId.agent("h1");
        MemberId h2 = MemberId.agent("h2");
        Quorum quorum = Quorum.of(List.of(master, h1, h2));
        try (TestCluster cluster = new TestCluster(T, 3)) {
            ClusterMember m = cluster.join(0, master, quorum);
            List<ClusterView> seenByMaster = new CopyOnWriteArrayList<>();
            m.onViewChange(seenByMaster::add);
            ClusterMember a1 = cluster.join(1, h1, quorum);
            ClusterMember a2 = cluster.join(2, h2, quorum);
            for (ClusterMember x : List.of(m, a1, a2)) {
                Await.until(WAIT, () -> x.id() + " sees " + x.view(), () -> x.view().members().size() == 3);
                assertThat(x.inMajority()).isTrue();
            }
            assertThat(m.view().members()).containsExactlyInAnyOrder(master, h1, h2);
            assertThat(seenByMaster).isNotEmpty();

            // h2 is cut off: alone it is a minority; m1 and h1 keep the majority.
            TestCluster.isolate(a2);
            Await.until(WAIT, () -> "h2 alone: " + a2.view(), () -> a2.view().members().equals(List.of(h2)));
            Await.until(WAIT, () -> "m1 without h2: " + m.view(), () -> m.view().members().size() == 2);
            assertThat(a2.inMajority()).isFalse();
            assertThat(m.inMajority()).isTrue();
            assertThat(a1.inMajority()).isTrue();
            assertThat(seenByMaster.get(seenByMaster.size() - 1).contains(h2)).isFalse();

            // Healed: MERGE3 finds the two views and GMS merges them.
            TestCluster.heal(a2);
            Await.until(WAIT.multipliedBy(2), () -> "merged: " + a2.view() + " / " + m.view(),
                    () -> a2.view().members().size() == 3 && m.view().members().size() == 3);
            assertThat(a2.inMajority()).isTrue();

            // A clean leave is seen at once.
            a1.close();
            Await.until(WAIT, () -> "m1 after h1 left: " + m.view(), () -> !m.view().contains(h1));
            assertThat(m.inMajority()).isTrue();

            // The quorum changes with the pool: with two more hosts expected, {m1, h2} is no majority.
            m.quorum(Quorum.of(List.of(master, h1, h2, MemberId.agent("h3"), MemberId.agent("h4"))));
            assertThat(m.inMajority()).isFalse();
        }
    }

    @Test
    void memberIdsRoundTripThroughTheirLogicalNames() {
        assertThat(MemberId.parse(MemberId.agent("3f2a-11").logicalName())).isEqualTo(MemberId.agent("3f2a-11"));
        assertThat(MemberId.parse("master/m1")).isEqualTo(MemberId.master("m1"));
        assertThat(MemberId.parse("someone-else")).isNull();
        assertThat(Quorum.of(List.of(MemberId.master("a"), MemberId.master("b"))).isMajority(List.of(MemberId.master("a")))).isFalse();
    }
}
