package io.atoll.ha;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The master's judgement of each host from two heartbeats, as XenServer HA does: the host's agent in
 * the cluster view, and its statefile counter moving. Fed by {@link #observe} (every T/5 or on a view
 * change), read by {@link #assess}:
 *
 * <ul>
 * <li>ALIVE — in the majority view and its statefile moved within T;</li>
 * <li>SUSPECT — one heartbeat lost, or both for at most T, or the observer cannot tell (it is not in the
 * majority itself, or cannot read the statefile area): nothing is restarted;</li>
 * <li>DEAD — absent from the majority view for more than T and its statefile stale for more than T.</li>
 * </ul>
 *
 * A DEAD host's VMs may restart elsewhere only once both heartbeats have been lost for T + margin
 * ({@link Assessment#restartAllowed()}): by then the host has fenced itself (docs/ha.md). Time is the
 * observer's monotonic clock; what the observer could not see counts as present, never as absent.
 * Thread-safe.
 */
public final class HostLiveness {
    public enum State { ALIVE, SUSPECT, DEAD }

    /** One host as judged at one instant. */
    public record Assessment(String host, State state, boolean inView, Duration absentFromViewFor, Duration statefileStaleFor,
                             boolean restartAllowed) {
    }

    private static final class Track {
        long lastInView;
        long counter = -1;
        long counterMoved;

        Track(long now) {
            lastInView = now;
            counterMoved = now;
        }
    }

    private final HaTimings timings;
    private final Map<String, Track> hosts = new HashMap<>();
    private boolean observerInMajority;
    private boolean statefileReadable;
    private Set<String> inView = Set.of();

    public HostLiveness(HaTimings timings) {
        this.timings = timings;
    }

    /**
     * Records what the observer sees now.
     *
     * @param hostsInView        the hosts whose agents are in the observer's view
     * @param observerInMajority whether that view is the majority partition
     * @param statefiles         the heartbeats read from the statefile area, or null when it could not be read
     */
    public synchronized void observe(long nowNanos, Set<String> hostsInView, boolean observerInMajority,
                                     Map<String, Statefile.Heartbeat> statefiles) {
        this.observerInMajority = observerInMajority;
        this.statefileReadable = statefiles != null;
        this.inView = Set.copyOf(hostsInView);
        for (Track t : hosts.values()) {
            // What the observer could not see counts as present: no clock runs against a host meanwhile.
            if (!observerInMajority) {
                t.lastInView = nowNanos;
            }
            if (statefiles == null) {
                t.counterMoved = nowNanos;
            }
        }
        for (String h : hostsInView) {
            track(h, nowNanos).lastInView = nowNanos;
        }
        if (statefiles != null) {
            for (Statefile.Heartbeat b : statefiles.values()) {
                Track t = track(b.host(), nowNanos);
                if (b.counter() != t.counter) {
                    t.counter = b.counter();
                    t.counterMoved = nowNanos;
                }
            }
        }
    }

    /** Starts watching a host the pool has (so a host that never shows up is still judged). */
    public synchronized void watch(String host, long nowNanos) {
        track(host, nowNanos);
    }

    public synchronized Assessment assess(String host, long nowNanos) {
        Track t = track(host, nowNanos);
        boolean present = observerInMajority && inView.contains(host);
        Duration absent = present ? Duration.ZERO : Duration.ofNanos(nowNanos - t.lastInView);
        Duration stale = Duration.ofNanos(nowNanos - t.counterMoved);
        Duration limit = timings.timeout();
        State state;
        if (present && stale.compareTo(limit) <= 0) {
            state = State.ALIVE;
        } else if (observerInMajority && statefileReadable && absent.compareTo(limit) > 0 && stale.compareTo(limit) > 0) {
            state = State.DEAD;
        } else {
            state = State.SUSPECT;
        }
        Duration bothLost = absent.compareTo(stale) < 0 ? absent : stale;
        boolean restart = state == State.DEAD && bothLost.compareTo(timings.restartAfter()) >= 0;
        return new Assessment(host, state, present, absent, stale, restart);
    }

    private Track track(String host, long now) {
        return hosts.computeIfAbsent(host, h -> new Track(now));
    }
}
