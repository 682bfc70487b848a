package io.atoll.ha;

import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * A host's own statefile heartbeat: writes {@code {host, counter, timestamp}} every T/5 on its own
 * thread, and remembers when a write last completed. A write that hangs (a hard NFS mount) blocks only
 * this thread; {@link SelfFence} reads {@link #lastSuccessNanos()} and sees the heartbeat age.
 */
public final class StatefileWriter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StatefileWriter.class);

    private final Statefile statefile;
    private final String host;
    private final LongSupplier nanoClock;
    private final AtomicLong counter = new AtomicLong();
    private final AtomicLong lastSuccess;
    private final ScheduledExecutorService executor;
    private volatile boolean failing;

    public StatefileWriter(Statefile statefile, String host, HaTimings timings) {
        this(statefile, host, timings, System::nanoTime);
    }

    StatefileWriter(Statefile statefile, String host, HaTimings timings, LongSupplier nanoClock) {
        this.statefile = statefile;
        this.host = host;
        this.nanoClock = nanoClock;
        this.lastSuccess = new AtomicLong(Long.MIN_VALUE);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ha-statefile-" + host);
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::writeOnce, 0, timings.statefileWriteInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    void writeOnce() {
        try {
            statefile.write(new Statefile.Heartbeat(host, counter.incrementAndGet(), Instant.now()));
            lastSuccess.set(nanoClock.getAsLong());
            if (failing) {
                failing = false;
                LOG.infof("host %s: statefile heartbeat written again in %s", host, statefile.describe());
            }
        } catch (Exception e) {
            if (!failing) {
                failing = true;
                LOG.warnf("host %s: statefile heartbeat cannot be written in %s: %s", host, statefile.describe(), e.getMessage());
            }
        }
    }

    /** When the last write completed ({@link System#nanoTime()}), or {@link Long#MIN_VALUE} before the first. */
    public long lastSuccessNanos() {
        return lastSuccess.get();
    }

    public long counter() {
        return counter.get();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
