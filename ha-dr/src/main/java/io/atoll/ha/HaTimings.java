package io.atoll.ha;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every HA timer, derived from one timeout {@code T} (XenServer HA's idea: the administrator sets one
 * number and nothing else can be set inconsistently with it). The formulas, and why each bound holds,
 * are in docs/ha.md ("Timers"):
 *
 * <pre>
 * failure detection   FD_ALL3 timeout T/5 + interval T/20 + VERIFY_SUSPECT2 T/20 = 0.3·T  (bound: T/3)
 * statefile write     every T/5; a statefile is stale when its counter has not moved for T
 * master lease        duration T, renewed every T/3, trusted locally until sent + T − T/10
 * standby poll        T/5
 * self-fence          deadline 0.8·T after the last evidence of either heartbeat, checked every T/20
 * VM restart          only after T + margin (margin T/2) of both heartbeats lost, seen by the master
 * </pre>
 *
 * @param timeout T, at least 2 s (below that the failure detector's bits and JDBC's one-second
 *                query timeouts stop making sense)
 */
public record HaTimings(Duration timeout) {
    /** XenServer's default HA timeout is 30 s; Atoll's issue asks for 10 s. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public HaTimings {
        if (timeout == null || timeout.compareTo(Duration.ofSeconds(2)) < 0) {
            throw new IllegalArgumentException("the HA timeout must be at least 2 s, was " + timeout);
        }
    }

    public static HaTimings defaults() {
        return new HaTimings(DEFAULT_TIMEOUT);
    }

    private Duration part(long numerator, long denominator) {
        return Duration.ofMillis(timeout.toMillis() * numerator / denominator);
    }

    /** FD_ALL3: a member silent this long is suspected. */
    public Duration heartbeatTimeout() {
        return part(1, 5);
    }

    /** FD_ALL3: heartbeat period (timeout / interval = 4 bits). */
    public Duration heartbeatInterval() {
        return part(1, 20);
    }

    /** VERIFY_SUSPECT2: how long a suspect is given to answer before it is excluded. */
    public Duration verifySuspectTimeout() {
        return part(1, 20);
    }

    /**
     * The longest a silent member stays in the view: FD_ALL3's timeout plus one interval (its bitmap
     * granularity) plus VERIFY_SUSPECT2's — 0.3·T, under the T/3 bound that leaves room for the view
     * installation. A crashed process is usually excluded at once (FD_SOCK2 sees its socket close).
     */
    public Duration failureDetection() {
        return heartbeatTimeout().plus(heartbeatInterval()).plus(verifySuspectTimeout());
    }

    /** The documented bound on {@link #failureDetection()}. */
    public Duration failureDetectionBound() {
        return part(1, 3);
    }

    /** GMS: how long a joiner waits for the coordinator before trying again (or forming a view alone). */
    public Duration joinTimeout() {
        return part(1, 5);
    }

    /** MERGE3: healed partitions are found between these intervals (check interval 1.6 × max). */
    public Duration mergeMinInterval() {
        return part(1, 10);
    }

    public Duration mergeMaxInterval() {
        return part(1, 4);
    }

    /** GMS: how long a coordinator waits for acks of a new view (a dead member never acks). */
    public Duration viewAckTimeout() {
        return part(1, 10);
    }

    /** TCP: connecting to a peer gives up after this long, so a dead peer never blocks a send for long. */
    public Duration connectTimeout() {
        return part(1, 10);
    }

    /** How often a host writes its statefile. */
    public Duration statefileWriteInterval() {
        return part(1, 5);
    }

    /** A statefile whose counter has not moved for longer than this is stale. */
    public Duration statefileStaleAfter() {
        return timeout;
    }

    /**
     * How long the database keeps the master lease after a renewal: T/2, so that a standby takes
     * over within T/2 + T/5 (the poll) of the active master's death — under 10 s for T = 10 s.
     */
    public Duration leaseDuration() {
        return part(1, 2);
    }

    /** How often the active master renews its lease (three renewals fit in the trusted part of one lease). */
    public Duration leaseRenewInterval() {
        return part(1, 8);
    }

    /**
     * Subtracted from the lease by its holder: it trusts the lease until {@code sent + duration − guard},
     * which stays before the database's expiry as long as its clock runs at most 10 % slower than the
     * database's (a rate, not an offset: no clocks need to agree).
     */
    public Duration leaseGuard() {
        return part(1, 20);
    }

    /** How often a standby in the majority looks whether the lease has expired. */
    public Duration standbyPollInterval() {
        return part(1, 5);
    }

    /** Bound on one lease statement (JDBC query timeout, rounded up to whole seconds). */
    public Duration leaseStatementTimeout() {
        return part(1, 8);
    }

    /** A host that has lost both heartbeats fences itself this long after the last evidence of either. */
    public Duration fenceDeadline() {
        return part(4, 5);
    }

    /** How often self-fencing looks at the two heartbeats. */
    public Duration fenceCheckInterval() {
        return part(1, 20);
    }

    /**
     * Added to T before a dead host's VMs are restarted elsewhere. The host has fenced itself by
     * 0.8·T + T/20 (the check) after its last evidence, and the master counts from no earlier than
     * that evidence, so T + T/10 leaves T/4 for the kill and for clock rates (docs/ha.md).
     */
    public Duration restartMargin() {
        return part(1, 10);
    }

    /** Both heartbeats of a host must have been lost, as the master sees them, this long before its VMs restart. */
    public Duration restartAfter() {
        return timeout.plus(restartMargin());
    }

    /** The hardware watchdog's timeout, whole seconds, at most the fence deadline. */
    public int watchdogTimeoutSeconds() {
        return (int) Math.max(1, fenceDeadline().toSeconds());
    }

    /** The {@code atoll.ha.*} timer placeholders of ha-stack.xml, in milliseconds. */
    public Map<String, String> stackProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("atoll.ha.fd-timeout", ms(heartbeatTimeout()));
        p.put("atoll.ha.fd-interval", ms(heartbeatInterval()));
        p.put("atoll.ha.verify-timeout", ms(verifySuspectTimeout()));
        p.put("atoll.ha.join-timeout", ms(joinTimeout()));
        p.put("atoll.ha.merge-min-interval", ms(mergeMinInterval()));
        p.put("atoll.ha.merge-max-interval", ms(mergeMaxInterval()));
        p.put("atoll.ha.connect-timeout", ms(connectTimeout()));
        p.put("atoll.ha.view-ack-timeout", ms(viewAckTimeout()));
        return p;
    }

    private static String ms(Duration d) {
        return Long.toString(d.toMillis());
    }
}
