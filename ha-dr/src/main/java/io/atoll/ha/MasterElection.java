package io.atoll.ha;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Which pool master instance is active: the one holding the {@link MasterLease}, which only a member of
 * the majority partition may take. A standby in the majority tries every T/5; the active one renews
 * every T/3, and steps down (releasing the lease so the majority's standby takes over at once) when its
 * view becomes a minority, when a renewal fails, or when a renewal is late.
 *
 * <p>The master asks {@link #token()} before each action that only the active master may do, and sends
 * the token's epoch with it (agent calls) or checks it in the same transaction (database writes); the
 * callbacks are for starting and stopping the active-only work (the task workers, the HA planner).
 * Callbacks run on the election's own thread, one at a time: {@code activated} strictly after the lease
 * was taken, {@code deactivated} as soon as it is lost (the lease is already untrusted by then).
 */
public final class MasterElection implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MasterElection.class);

    /** What the master does when it becomes active or stops being so. */
    public interface Listener {
        void activated(FencingToken token);

        void deactivated(FencingToken token, String reason);
    }

    private final MasterLease lease;
    private final BooleanSupplier inMajority;
    private final HaTimings timings;
    private final Listener listener;
    private final ScheduledExecutorService executor;
    private volatile AutoCloseable viewSubscription;
    private FencingToken active;
    private long lastRenewNanos;
    private long lastPollNanos;

    /**
     * Starts electing at once.
     *
     * @param inMajority whether this instance's cluster view is the majority partition
     *                   ({@code member::inMajority}); read on every step
     */
    public MasterElection(MasterLease lease, BooleanSupplier inMajority, HaTimings timings, Listener listener) {
        this.lease = lease;
        this.inMajority = inMajority;
        this.timings = timings;
        this.listener = listener;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ha-election-" + lease.holder());
            t.setDaemon(true);
            return t;
        });
        long tick = Math.max(50, timings.timeout().toMillis() / 20);
        executor.scheduleWithFixedDelay(this::step, 0, tick, TimeUnit.MILLISECONDS);
    }

    /** Convenience: the majority from a cluster member, with steps also on each view change. */
    public static MasterElection start(MasterLease lease, ClusterMember member, HaTimings timings, Listener listener) {
        MasterElection e = new MasterElection(lease, member::inMajority, timings, listener);
        e.viewSubscription = member.onViewChange(v -> {
            if (!e.executor.isShutdown()) {
                e.executor.execute(e::step);
            }
        });
        return e;
    }

    /** The fencing token while this instance is the active master, else empty. Exact: never late. */
    public Optional<FencingToken> token() {
        return lease.held();
    }

    public boolean isActive() {
        return token().isPresent();
    }

    private void step() {
        try {
            long now = System.nanoTime();
            if (active != null) {
                if (lease.held().isEmpty()) {
                    lose("the lease renewal is late");
                } else if (!inMajority.getAsBoolean()) {
                    FencingToken t = active;
                    lose("this instance is no longer in the majority partition");
                    lease.release(t);
                } else if (now - lastRenewNanos >= timings.leaseRenewInterval().toNanos()) {
                    lastRenewNanos = now;
                    if (!lease.renew(active)) {
                        lose("the database refused the renewal (deposed, or expired)");
                    }
                }
            } else if (inMajority.getAsBoolean() && now - lastPollNanos >= timings.standbyPollInterval().toNanos()) {
                lastPollNanos = now;
                Optional<FencingToken> t = lease.tryAcquire();
                if (t.isPresent()) {
                    active = t.get();
                    lastRenewNanos = now;
                    LOG.infof("master %s: active with epoch %d", lease.holder(), active.epoch());
                    listener.activated(active);
                }
            }
        } catch (Exception e) {
            if (active != null) {
                lease.drop(active);
                lose("the lease could not be renewed: " + e.getMessage());
            } else {
                LOG.debugf("master %s: lease not taken: %s", lease.holder(), e.getMessage());
            }
        }
    }

    private void lose(String reason) {
        FencingToken t = active;
        active = null;
        lease.drop(t);
        LOG.warnf("master %s: no longer active (epoch %d): %s", lease.holder(), t.epoch(), reason);
        try {
            listener.deactivated(t, reason);
        } catch (RuntimeException e) {
            LOG.warnf(e, "master %s: the deactivation callback failed", lease.holder());
        }
    }

    /** Stops electing; an active instance releases the lease so a standby takes over at once. */
    @Override
    public void close() {
        AutoCloseable subscription = viewSubscription;
        if (subscription != null) {
            try {
                subscription.close();
            } catch (Exception ignored) {
                // removing a listener from a list does not fail
            }
        }
        try {
            executor.submit(() -> {
                if (active != null) {
                    FencingToken t = active;
                    lose("shutting down");
                    try {
                        lease.release(t);
                    } catch (Exception e) {
                        LOG.warnf("master %s: release failed (the lease expires by itself): %s", lease.holder(), e.getMessage());
                    }
                }
            }).get(timings.leaseStatementTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warnf("master %s: stopping the election: %s", lease.holder(), e.getMessage());
        } finally {
            executor.shutdownNow();
        }
    }
}
