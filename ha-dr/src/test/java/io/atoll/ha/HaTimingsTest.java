package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The timers derived from T, and the inequalities docs/ha.md's argument relies on. */
class HaTimingsTest {
    @Test
    void everyTimerDerivesFromTheDefaultTimeout() {
        HaTimings t = HaTimings.defaults();
        assertThat(t.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(t.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(t.failureDetection()).isEqualTo(Duration.ofSeconds(3));
        assertThat(t.statefileWriteInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.leaseDuration()).isEqualTo(Duration.ofSeconds(5));
        assertThat(t.leaseRenewInterval()).isEqualTo(Duration.ofMillis(1250));
        assertThat(t.fenceDeadline()).isEqualTo(Duration.ofSeconds(8));
        assertThat(t.restartAfter()).isEqualTo(Duration.ofSeconds(11));
        assertThat(t.watchdogTimeoutSeconds()).isEqualTo(8);
    }

    @Test
    void theSafetyInequalitiesHoldForAnyTimeout() {
        for (long ms : new long[] {2_000, 3_000, 7_777, 10_000, 30_000, 120_000}) {
            HaTimings t = new HaTimings(Duration.ofMillis(ms));
            // Failure detection within T/3, leaving room for the view installation.
            assertThat(t.failureDetection()).isLessThanOrEqualTo(t.failureDetectionBound());
            // A host fences before the master's dead verdict (T), and restarts wait a margin more.
            assertThat(t.fenceDeadline().plus(t.fenceCheckInterval())).isLessThan(t.timeout());
            assertThat(t.restartAfter()).isGreaterThan(t.timeout());
            // The restart waits at least T/5 beyond the fence deadline and its check (the kill, clock rates).
            assertThat(t.restartAfter().minus(t.fenceDeadline().plus(t.fenceCheckInterval()))).isGreaterThanOrEqualTo(t.timeout().dividedBy(5));
            // A standby takes over within 10 s of the active master's death for the default T: lease + poll.
            assertThat(t.leaseDuration().plus(t.standbyPollInterval())).isLessThan(t.timeout());
            // Several statefile writes and lease renewals fit in one T.
            assertThat(t.statefileWriteInterval().multipliedBy(4)).isLessThan(t.statefileStaleAfter());
            assertThat(t.leaseRenewInterval().multipliedBy(2)).isLessThan(t.leaseDuration().minus(t.leaseGuard()));
            // FD_ALL3 needs at least two bits (timeout / interval).
            assertThat(t.heartbeatTimeout().toMillis() / t.heartbeatInterval().toMillis()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void tooShortATimeoutIsRefused() {
        assertThatThrownBy(() -> new HaTimings(Duration.ofMillis(1999))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 2 s");
    }
}
