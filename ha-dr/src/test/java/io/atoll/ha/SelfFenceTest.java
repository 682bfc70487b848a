package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.ha.testing.Await;
import io.atoll.ha.testing.Commands;
import io.atoll.ha.testing.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfFenceTest {
    private static final long MS = 1_000_000L;

    @TempDir
    Path dir;

    /** On a clock the test moves (T = 10 s, checks every 0.5 s). */
    private static final class Rig {
        final HaTimings t = HaTimings.defaults();
        final AtomicLong now = new AtomicLong(1_000_000 * MS);
        final AtomicBoolean majority = new AtomicBoolean(true);
        final AtomicLong lastWrite = new AtomicLong(now.get());
        boolean statefileWorks = true;
        final List<String> fences = new CopyOnWriteArrayList<>();
        final SelfFence fence;

        Rig(Path record) {
            fence = new SelfFence("h1", majority::get, lastWrite::get, t, fences::add, null, record, now::get, false);
        }

        void advance(long millis) {
            for (long done = 0; done < millis; done += 500) {
                now.addAndGet(500 * MS);
                if (statefileWorks && (now.get() / MS) % 2000 == 0) {
                    lastWrite.set(now.get());
                }
                fence.check();
            }
        }
    }

    @Test
    void losingOnlyTheClusterOrOnlyTheStatefileNeverFences() {
        Rig r = new Rig(null);
        r.majority.set(false);
        r.advance(60_000);
        assertThat(r.fences).isEmpty();
        r.majority.set(true);
        r.statefileWorks = false;
        r.advance(60_000);
        assertThat(r.fence.fenced()).isEmpty();
    }

    @Test
    void losingBothFencesOnceBeforeTheDeadline() throws Exception {
        Path record = dir.resolve("fenced.json");
        Rig r = new Rig(record);
        r.advance(5_000);
        long lost = r.now.get();
        long lastEvidence = Math.max(r.lastWrite.get(), lost - r.t.failureDetection().toNanos());
        r.majority.set(false);
        r.statefileWorks = false;
        while (r.fences.isEmpty() && r.now.get() - lost < 20_000 * MS) {
            r.advance(500);
        }
        assertThat(r.fences).hasSize(1);
        long firedAfterEvidence = r.now.get() - lastEvidence;
        assertThat(firedAfterEvidence).isBetween(r.t.fenceDeadline().toNanos(), r.t.fenceDeadline().plus(r.t.fenceCheckInterval()).toNanos());
        assertThat(r.now.get() - lost).as("fired before T after the loss").isLessThan(r.t.timeout().toNanos());
        assertThat(r.fences.get(0)).contains("lost the majority partition and the statefile");
        assertThat(Files.readString(record)).contains("\"host\":\"h1\"", "fencedAt");
        r.advance(30_000);
        assertThat(r.fences).hasSize(1);
        r.majority.set(true);
        r.fence.rearm();
        assertThat(r.fence.fenced()).isEmpty();
    }

    /**
     * Real members, real statefile, real time (T = 3 s): a host cut off from the cluster keeps running
     * while it writes its statefile; when its statefile storage goes too, it fences within 0.8·T + one
     * failure-detection period of the cut.
     */
    @Test
    void aRealHostCutOffFromBothFences() throws Exception {
        HaTimings t = new HaTimings(Duration.ofSeconds(3));
        MemberId m1 = MemberId.master("m1");
        MemberId h1 = MemberId.agent("h1");
        MemberId h2 = MemberId.agent("h2");
        Quorum q = Quorum.of(List.of(m1, h1, h2));
        Path area = Files.createDirectory(dir.resolve("statefile-sr"));
        List<String> fenced = new CopyOnWriteArrayList<>();
        try (TestCluster cluster = new TestCluster(t, 3)) {
            cluster.join(0, m1, q);
            cluster.join(2, h2, q);
            ClusterMember host = cluster.join(1, h1, q);
            Await.until(Duration.ofSeconds(15), () -> "3 members: " + host.view(), () -> host.view().members().size() == 3);
            try (StatefileWriter writer = new StatefileWriter(new Statefile(area), "h1", t);
                 Watchdog watchdog = Watchdog.open(dir.resolve("no-such-watchdog"));
                 SelfFence fence = new SelfFence("h1", host::inMajority, writer::lastSuccessNanos, t, fenced::add, watchdog, null)) {
                assertThat(watchdog.present()).isFalse();
                TestCluster.isolate(host);
                Await.until(Duration.ofSeconds(10), () -> "h1 in a minority", () -> !host.inMajority());
                // The statefile still works: two more deadlines pass without a fence.
                long until = System.nanoTime() + t.fenceDeadline().multipliedBy(2).toNanos();
                while (System.nanoTime() < until) {
                    assertThat(fence.fenced()).isEmpty();
                    Thread.sleep(50);
                }
                long cut = System.nanoTime();
                Commands.deleteTree(area);
                Await.until(t.timeout(), () -> "no fence", () -> fence.fenced().isPresent());
                assertThat(System.nanoTime() - cut).isLessThan(t.fenceDeadline().plus(t.fenceCheckInterval()).plusMillis(500).toNanos());
                assertThat(fenced).hasSize(1);
            }
        }
    }
}
