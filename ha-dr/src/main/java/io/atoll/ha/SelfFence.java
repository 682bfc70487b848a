package io.atoll.ha;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * A host's self-fencing. Every T/20 it looks at its two heartbeats and keeps the last instant at which
 * each was certainly working:
 *
 * <ul>
 * <li>the cluster: while the view is the majority, {@code now − failure detection} (a cut could have
 * happened that long ago without the view showing it yet);</li>
 * <li>the statefile: when this host's last statefile write completed.</li>
 * </ul>
 *
 * When the later of the two is {@link HaTimings#fenceDeadline()} (0.8·T) old, the host has lost both:
 * it runs the {@link FenceAction} (kill the protected VMs' QEMU), stops petting the watchdog (on real
 * hardware the host then resets) and records that it fenced. Losing one heartbeat alone never fences:
 * the master sees the other and does not declare the host dead. Fencing happens once; after it the
 * host must rejoin before HA may place VMs on it again ({@link #rearm()}).
 */
public final class SelfFence implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SelfFence.class);

    /** That (and why) this host fenced itself. */
    public record Fenced(String host, Instant at, String reason) {
    }

    private final String host;
    private final BooleanSupplier inMajority;
    private final LongSupplier lastStatefileWrite;
    private final HaTimings timings;
    private final FenceAction action;
    private final Watchdog watchdog;
    private final Path record;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService executor;
    private long clusterEvidence;
    private volatile Fenced fenced;

    /**
     * Watches and starts checking at once.
     *
     * @param inMajority         whether this host's view is the majority partition ({@code member::inMajority})
     * @param lastStatefileWrite when this host's last statefile write completed ({@code writer::lastSuccessNanos})
     * @param watchdog           the watchdog to pet while not fenced, or null
     * @param record             a file to write the fence record to (kept across an agent restart), or null
     */
    public SelfFence(String host, BooleanSupplier inMajority, LongSupplier lastStatefileWrite, HaTimings timings, FenceAction action,
                     Watchdog watchdog, Path record) {
        this(host, inMajority, lastStatefileWrite, timings, action, watchdog, record, System::nanoTime, true);
    }

    SelfFence(String host, BooleanSupplier inMajority, LongSupplier lastStatefileWrite, HaTimings timings, FenceAction action,
              Watchdog watchdog, Path record, LongSupplier nanoClock, boolean schedule) {
        this.host = host;
        this.inMajority = inMajority;
        this.lastStatefileWrite = lastStatefileWrite;
        this.timings = timings;
        this.action = action;
        this.watchdog = watchdog;
        this.record = record;
        this.nanoClock = nanoClock;
        // Starting counts as evidence: a host is given one deadline to find its heartbeats.
        this.clusterEvidence = nanoClock.getAsLong();
        if (schedule) {
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ha-self-fence-" + host);
                t.setDaemon(true);
                return t;
            });
            executor.scheduleWithFixedDelay(this::check, 0, timings.fenceCheckInterval().toMillis(), TimeUnit.MILLISECONDS);
        } else {
            executor = null;
        }
    }

    /** One look at both heartbeats (the scheduled step; tests call it with their own clock). */
    synchronized void check() {
        if (fenced != null) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (inMajority.getAsBoolean()) {
            clusterEvidence = Math.max(clusterEvidence, now - timings.failureDetection().toNanos());
        }
        long statefile = lastStatefileWrite.getAsLong();
        long evidence = statefile == Long.MIN_VALUE ? clusterEvidence : Math.max(clusterEvidence, statefile);
        long silentNanos = now - evidence;
        if (silentNanos < timings.fenceDeadline().toNanos()) {
            if (watchdog != null) {
                watchdog.pet();
            }
            return;
        }
        String reason = "lost the majority partition and the statefile for " + silentNanos / 1_000_000 + " ms (deadline "
                + timings.fenceDeadline().toMillis() + " ms)";
        fenced = new Fenced(host, Instant.now(), reason);
        LOG.errorf("host %s: SELF-FENCING: %s; stopping protected VMs%s", host, reason,
                watchdog != null && watchdog.present() ? ", the watchdog will reset this host" : " (no watchdog here)");
        try {
            action.fence(reason);
        } catch (Exception e) {
            LOG.errorf(e, "host %s: the fence action failed", host);
        }
        writeRecord(fenced);
    }

    /** Whether (and when, why) this host fenced itself. */
    public Optional<Fenced> fenced() {
        return Optional.ofNullable(fenced);
    }

    /** After the host is back in the majority (and the master knows it fenced): watch again. */
    public synchronized void rearm() {
        fenced = null;
        clusterEvidence = nanoClock.getAsLong();
    }

    private void writeRecord(Fenced f) {
        if (record == null) {
            return;
        }
        try {
            Path tmp = record.resolveSibling(record.getFileName() + ".tmp");
            Files.writeString(tmp, "{\"host\":\"" + f.host() + "\",\"fencedAt\":\"" + f.at() + "\",\"reason\":\"" + f.reason() + "\"}\n",
                    StandardCharsets.UTF_8);
            Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.errorf("host %s: the fence record %s cannot be written: %s", host, record, e.getMessage());
        }
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
