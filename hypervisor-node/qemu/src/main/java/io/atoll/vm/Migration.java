package io.atoll.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.atoll.node.api.MigrationProgress;
import io.atoll.node.api.MigrationRequest;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.qmp.QmpClient;
import io.atoll.qmp.QmpCommand;
import io.atoll.qmp.QmpException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * One outgoing live migration, driven over QMP: capabilities and parameters set, {@code migrate},
 * then {@code query-migrate} polled for progress. Adaptive downtime as Proxmox does it: when the
 * memory still to send stops shrinking, the allowed downtime doubles, up to the request's
 * maximum; stalled at the maximum, the migration is cancelled. On failure or cancel the guest runs
 * on here as before. No deadline otherwise: a slow link is not an error.
 */
final class Migration {
    private static final Logger LOG = Logger.getLogger(Migration.class);
    private static final Duration T = Duration.ofSeconds(10);
    private static final long POLL_MS = 50;
    /** The window over which the remaining memory must shrink by a tenth, or the migration has stalled. */
    private static final long STALL_WINDOW_MS = 2000;

    private final QmpClient qmp;
    private final String label;
    private final MigrationRequest request;
    private volatile boolean cancelRequested;
    private volatile MigrationProgress progress;
    private long downtimeLimit;
    private SwitchoverHook beforeSwitchover;

    /** Work that must happen while the guest is paused and before QEMU hands the VM over. */
    @FunctionalInterface
    interface SwitchoverHook {
        void run() throws QmpException, InterruptedException;
    }

    Migration(QmpClient qmp, String label, MigrationRequest request) {
        this.qmp = qmp;
        this.label = label;
        this.request = request;
        this.downtimeLimit = request.downtimeLimitMs();
    }

    MigrationProgress progress() {
        return progress;
    }

    void cancel() {
        cancelRequested = true;
    }

    /**
     * Has QEMU stop at {@code pre-switchover} (guest paused, memory sent) and run the hook there:
     * block jobs writing to the target must end before the disks change hands.
     */
    void beforeSwitchover(SwitchoverHook hook) {
        this.beforeSwitchover = hook;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    /** Runs the migration to its end; throws, with the guest still here, when it does not complete. */
    MigrationProgress run() throws QmpException, InterruptedException {
        qmp.execute(new QmpCommand.MigrateSetCapabilities(Map.of("events", true, "auto-converge", request.autoConverge(),
                "xbzrle", request.xbzrle(), "pause-before-switchover", beforeSwitchover != null)), T);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("downtime-limit", downtimeLimit);
        // QEMU's default cap is 32 MiB/s (for slow links of old); no request limit means none here
        params.put("max-bandwidth", request.bandwidthMiBps() == null ? (long) Integer.MAX_VALUE * 8 : request.bandwidthMiBps() << 20);
        qmp.execute(new QmpCommand.MigrateSetParameters(params), T);
        // MIGRATION events wake the loop at once, so the end is seen without waiting out a poll.
        java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);
        Runnable stopListening = qmp.onEvent(e -> {
            if (e.name().equals("MIGRATION")) {
                wake.release();
            }
        });
        try {
            return follow(wake);
        } finally {
            stopListening.run();
        }
    }

    private MigrationProgress follow(java.util.concurrent.Semaphore wake) throws QmpException, InterruptedException {
        qmp.execute(new QmpCommand.Migrate(request.uri()), T);
        LOG.infof("%s: migrating to %s (downtime limit %d ms, at most %d ms%s)", label, request.uri(), downtimeLimit,
                request.maxDowntimeMs(), request.bandwidthMiBps() == null ? "" : ", " + request.bandwidthMiBps() + " MiB/s");
        long windowStart = System.nanoTime();
        long windowRemaining = Long.MAX_VALUE;
        while (true) {
            QmpCommand.MigrationInfo info = qmp.execute(new QmpCommand.QueryMigrate(), T);
            progress = toProgress(info);
            String status = progress.status();
            switch (status) {
                case "completed" -> {
                    // QEMU reports "completed" a moment before it fills in the totals (7.2: set after the state
                    // changes), and the MIGRATION event wakes us at once: read again briefly until they are there.
                    for (int i = 0; i < 40 && (info.totalTime() == null || info.totalTime() == 0); i++) {
                        Thread.sleep(5);
                        info = qmp.execute(new QmpCommand.QueryMigrate(), T);
                    }
                    progress = toProgress(info);
                    LOG.infof("%s: migrated in %d ms, downtime %d ms, %d MiB sent", label, progress.totalTimeMs(),
                            progress.downtimeMs(), progress.transferredBytes() >> 20);
                    return progress;
                }
                case "failed" -> throw new NodeException(NodeErrorCode.MIGRATION_FAILED, label, label + ": migration to "
                        + request.uri() + " failed: " + (info.errorDesc() == null ? "QEMU gave no reason" : info.errorDesc())
                        + "; the VM runs on here");
                case "cancelled" -> throw new NodeException(NodeErrorCode.MIGRATION_CANCELLED, label, label
                        + ": migration cancelled; the VM runs on here");
                case "pre-switchover" -> {
                    if (beforeSwitchover != null) {
                        SwitchoverHook hook = beforeSwitchover;
                        beforeSwitchover = null; // once
                        hook.run();
                        qmp.execute(new QmpCommand.Raw("migrate-continue", Map.of("state", "pre-switchover")), T);
                    }
                }
                default -> {
                    // setup, active, device, cancelling: go on
                }
            }
            if (cancelRequested) {
                LOG.infof("%s: cancelling the migration on request", label);
                qmp.execute(new QmpCommand.MigrateCancel(), T);
                cancelRequested = false;
            } else if (status.equals("active")) {
                long now = System.nanoTime();
                if (progress.remainingBytes() < windowRemaining * 9 / 10) {
                    windowRemaining = progress.remainingBytes();
                    windowStart = now;
                } else if ((now - windowStart) / 1_000_000 > STALL_WINDOW_MS) {
                    stalled();
                    windowRemaining = progress.remainingBytes();
                    windowStart = now;
                }
            }
            wake.tryAcquire(POLL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** The remaining memory stopped shrinking: allow a longer pause, or give up at the maximum. */
    private void stalled() throws QmpException {
        if (downtimeLimit >= request.maxDowntimeMs()) {
            LOG.warnf("%s: migration stalled at the maximum downtime of %d ms: cancelling", label, downtimeLimit);
            qmp.execute(new QmpCommand.MigrateCancel(), T);
            throw new NodeException(NodeErrorCode.MIGRATION_FAILED, label, label + ": the guest dirties memory faster than it "
                    + "can be sent, even allowing a " + downtimeLimit + " ms pause: raise maxDowntimeMs or the bandwidth, or "
                    + "migrate when the guest is quieter; the VM runs on here");
        }
        downtimeLimit = Math.min(request.maxDowntimeMs(), downtimeLimit * 2);
        qmp.execute(new QmpCommand.MigrateSetParameters(Map.of("downtime-limit", downtimeLimit)), T);
        LOG.infof("%s: migration stalled: downtime limit raised to %d ms", label, downtimeLimit);
    }

    private MigrationProgress toProgress(QmpCommand.MigrationInfo info) {
        JsonNode ram = info.ram() == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : info.ram();
        long pageSize = ram.path("page-size").asLong(4096);
        return new MigrationProgress(info.status() == null ? "none" : info.status(), ram.path("transferred").asLong(),
                ram.path("remaining").asLong(), ram.path("total").asLong(), ram.path("dirty-pages-rate").asLong() * pageSize,
                info.expectedDowntime() == null ? 0 : info.expectedDowntime(), downtimeLimit,
                info.downtime() == null ? 0 : info.downtime(), info.totalTime() == null ? 0 : info.totalTime());
    }
}
