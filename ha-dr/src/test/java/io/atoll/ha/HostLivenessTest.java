package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.ha.HostLiveness.State;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The two-heartbeat verdict on a clock the test moves (T = 10 s). */
class HostLivenessTest {
    private static final HaTimings T = HaTimings.defaults();
    private static final long S = 1_000_000_000L;

    private final HostLiveness liveness = new HostLiveness(T);
    private long now = 1_000 * S;
    private long counter;

    private Map<String, Statefile.Heartbeat> beat(String host) {
        return Map.of(host, new Statefile.Heartbeat(host, ++counter, Instant.EPOCH));
    }

    /** Steps the clock by 1 s for {@code seconds}, observing with the given heartbeats each step. */
    private void run(int seconds, boolean inView, boolean statefile, boolean observerMajority) {
        for (int i = 0; i < seconds; i++) {
            now += S;
            liveness.observe(now, inView ? Set.of("h1") : Set.of(), observerMajority, statefile ? beat("h1") : Map.of());
        }
    }

    @Test
    void bothHeartbeatsMakeAlive() {
        run(3, true, true, true);
        assertThat(liveness.assess("h1", now).state()).isEqualTo(State.ALIVE);
    }

    @Test
    void oneHeartbeatLostIsOnlySuspectForever() {
        run(2, true, true, true);
        run(60, false, true, true);
        assertThat(liveness.assess("h1", now).state()).isEqualTo(State.SUSPECT);
        run(60, true, false, true);
        HostLiveness.Assessment a = liveness.assess("h1", now);
        assertThat(a.state()).isEqualTo(State.SUSPECT);
        assertThat(a.statefileStaleFor()).isGreaterThan(Duration.ofSeconds(50));
        assertThat(a.restartAllowed()).isFalse();
    }

    @Test
    void bothLostIsDeadAfterTAndRestartableAfterTPlusMargin() {
        run(2, true, true, true);
        run(10, false, false, true);
        assertThat(liveness.assess("h1", now).state()).isEqualTo(State.SUSPECT);
        now += S / 2; // 10.5 s: dead (> T), but not T + margin (11 s) yet
        liveness.observe(now, Set.of(), true, Map.of());
        HostLiveness.Assessment dead = liveness.assess("h1", now);
        assertThat(dead.state()).isEqualTo(State.DEAD);
        assertThat(dead.restartAllowed()).isFalse();
        now += S / 2;
        liveness.observe(now, Set.of(), true, Map.of());
        assertThat(liveness.assess("h1", now).restartAllowed()).isTrue();
        // Back: alive at once.
        run(1, true, true, true);
        assertThat(liveness.assess("h1", now).state()).isEqualTo(State.ALIVE);
    }

    @Test
    void anObserverInAMinorityOrBlindToTheStatefileNeverDeclaresDeath() {
        run(2, true, true, true);
        run(30, false, false, false);
        assertThat(liveness.assess("h1", now).state()).isEqualTo(State.SUSPECT);
        // Regaining the majority does not count the blind time against the host.
        run(5, false, false, true);
        assertThat(liveness.assess("h1", now).state()).isEqualTo(State.SUSPECT);
        for (int i = 0; i < 30; i++) {
            now += S;
            liveness.observe(now, Set.of(), true, null);
        }
        assertThat(liveness.assess("h1", now).state()).isEqualTo(State.SUSPECT);
    }

    @Test
    void aHostThatNeverShowsUpIsDeadOnceWatchedForT() {
        liveness.watch("h9", now);
        run(11, true, true, true);
        assertThat(liveness.assess("h9", now).state()).isEqualTo(State.DEAD);
    }
}
