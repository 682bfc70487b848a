package io.atoll.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.qmp.QmpClient;
import io.atoll.qmp.QmpCommand;
import io.atoll.qmp.QmpEvent;
import io.atoll.qmp.QmpException;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Storage migration, the source's half: each disk mirrored ({@code blockdev-mirror}) into the
 * target's NBD export until source and target are in sync; then the memory moves, and the
 * mirrors end without pivoting, the target holding a point-in-time copy from the switch-over.
 *
 * <p>The mirrors copy in the background until in sync (the bulk copy does not slow the guest's
 * writes), then switch to write-blocking ({@code block-job-change}): from then on a guest write
 * completes only once it has reached the target too, so the target stays in sync however fast the
 * guest writes, and the memory migration is not left racing a backlog of dirty blocks. The memory
 * migration stops at {@code pre-switchover} with the guest paused; there each mirror is cancelled
 * (nothing is left to copy by then), which leaves the target a point-in-time copy of that moment;
 * only then does QEMU hand the VM over. A QEMU without {@code block-job-change} (before 8.2) keeps
 * the background mode, and the cancel at pre-switchover copies what is still dirty.
 */
final class DiskMirrors {
    private static final Logger LOG = Logger.getLogger(DiskMirrors.class);
    private static final Duration T = Duration.ofSeconds(30);

    private final QmpClient qmp;
    private final String label;
    private final Map<String, String> targets;
    private final Map<String, CompletableFuture<Void>> ready = new LinkedHashMap<>();
    private final Map<String, CompletableFuture<JsonNode>> ended = new LinkedHashMap<>();
    private final Set<String> started = new HashSet<>();
    private Runnable stopListening = () -> { };

    DiskMirrors(QmpClient qmp, String label, Map<String, String> targets) {
        this.qmp = qmp;
        this.label = label;
        this.targets = targets;
    }

    private static String job(String diskId) {
        return "mirror-" + diskId;
    }

    /** Starts every mirror and waits until all are in sync; fails (and cleans up) when one fails or on cancel. */
    void startAndSync(BooleanSupplier cancelled) throws QmpException, InterruptedException {
        for (String diskId : targets.keySet()) {
            ready.put(job(diskId), new CompletableFuture<>());
            ended.put(job(diskId), new CompletableFuture<>());
        }
        Consumer<QmpEvent> listener = e -> {
            String device = e.data().path("device").asText();
            switch (e.name()) {
                case "BLOCK_JOB_READY" -> complete(ready, device, null);
                case "BLOCK_JOB_COMPLETED", "BLOCK_JOB_CANCELLED" -> {
                    complete(ended, device, e.data());
                    CompletableFuture<Void> r = ready.get(device);
                    if (r != null && !r.isDone()) {
                        r.completeExceptionally(new QmpException("mirror " + device + " ended before it was in sync: "
                                + e.data().path("error").asText(e.name())));
                    }
                }
                default -> {
                }
            }
        };
        stopListening = qmp.onEvent(listener);
        try {
            for (Map.Entry<String, String> t : targets.entrySet()) {
                start(t.getKey(), URI.create(t.getValue()));
            }
            for (Map.Entry<String, CompletableFuture<Void>> r : ready.entrySet()) {
                while (!r.getValue().isDone()) {
                    if (cancelled.getAsBoolean()) {
                        throw new NodeException(NodeErrorCode.MIGRATION_CANCELLED, label, label + ": migration cancelled while "
                                + "mirroring its disks; the VM runs on here with its disks");
                    }
                    try {
                        r.getValue().get(100, TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.TimeoutException notYet) {
                        // keep waiting: a large disk takes as long as it takes
                    }
                }
                r.getValue().get();
            }
            LOG.infof("%s: %d disk mirror(s) in sync", label, targets.size());
            writeBlocking(cancelled);
        } catch (ExecutionException e) {
            abort();
            throw new NodeException(NodeErrorCode.MIGRATION_FAILED, label, label + ": mirroring the disks failed: "
                    + e.getCause().getMessage() + "; the VM runs on here with its disks");
        } catch (QmpException | InterruptedException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    /**
     * Switches the mirrors in sync to write-blocking and waits until QEMU reports each actively
     * synced (every guest write then reaches the target before it completes).
     */
    private void writeBlocking(BooleanSupplier cancelled) throws QmpException, InterruptedException {
        for (String diskId : started) {
            try {
                qmp.execute(new QmpCommand.Raw("block-job-change", Map.of("id", job(diskId), "type", "mirror",
                        "copy-mode", "write-blocking")), T);
            } catch (QmpException.CommandFailed old) {
                LOG.infof("%s: mirrors stay in background mode (this QEMU cannot switch them: %s)", label, old.getMessage());
                return;
            }
        }
        long deadline = System.nanoTime() + T.toNanos();
        Set<String> synced = new HashSet<>();
        while (synced.size() < started.size()) {
            if (cancelled.getAsBoolean()) {
                throw new NodeException(NodeErrorCode.MIGRATION_CANCELLED, label, label + ": migration cancelled while "
                        + "mirroring its disks; the VM runs on here with its disks");
            }
            for (JsonNode j : qmp.execute(new QmpCommand.Raw("query-block-jobs", Map.of()), T)) {
                String device = j.path("device").asText();
                if (ready.containsKey(device) && j.path("actively-synced").asBoolean(false)) {
                    synced.add(device);
                }
            }
            if (synced.size() < started.size()) {
                if (System.nanoTime() > deadline) {
                    // Still correct: the cancel at pre-switchover copies what is left.
                    LOG.warnf("%s: mirrors not actively synced after %d s; going on, the switch-over copies the rest", label, T.toSeconds());
                    return;
                }
                Thread.sleep(20);
            }
        }
        LOG.infof("%s: %d disk mirror(s) write-blocking and in sync", label, started.size());
    }

    private void start(String diskId, URI nbd) throws QmpException {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("driver", "nbd");
        node.put("node-name", job(diskId));
        node.put("server", Map.of("type", "inet", "host", nbd.getHost(), "port", Integer.toString(nbd.getPort())));
        node.put("export", nbd.getPath().substring(1));
        qmp.execute(new QmpCommand.Raw("blockdev-add", node), T);
        started.add(diskId);
        Map<String, Object> mirror = new LinkedHashMap<>();
        mirror.put("job-id", job(diskId));
        mirror.put("device", QmpBlockDevice.topNode(qmp, label, diskId));
        mirror.put("target", job(diskId));
        mirror.put("sync", "full");
        mirror.put("copy-mode", "background");
        qmp.execute(new QmpCommand.Raw("blockdev-mirror", mirror), T);
        LOG.infof("%s: mirroring disk %s to %s", label, diskId, nbd);
    }

    /** After the memory moved: ends the mirrors without pivoting and drops the NBD connections. */
    void finish() throws QmpException, InterruptedException {
        try {
            for (String diskId : started) {
                qmp.execute(new QmpCommand.Raw("block-job-cancel", Map.of("device", job(diskId))), T);
            }
            for (String diskId : started) {
                ended.get(job(diskId)).get(T.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warnf("%s: a mirror did not end cleanly after the switch-over: %s", label, e.getMessage());
        } finally {
            dropNodes();
        }
    }

    /** A failed or cancelled migration: stop the mirrors, the VM keeps its own disks. */
    void abort() {
        for (String diskId : started) {
            try {
                qmp.execute(new QmpCommand.Raw("block-job-cancel", Map.of("device", job(diskId), "force", true)), T);
                ended.get(job(diskId)).get(T.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.debugf("%s: cancelling mirror of %s: %s", label, diskId, e.getMessage());
            }
        }
        dropNodes();
    }

    private void dropNodes() {
        stopListening.run();
        for (String diskId : started) {
            try {
                qmp.execute(new QmpCommand.Raw("blockdev-del", Map.of("node-name", job(diskId))), T);
            } catch (QmpException e) {
                LOG.debugf("%s: dropping the NBD node of %s: %s", label, diskId, e.getMessage());
            }
        }
        started.clear();
    }

    private static <V> void complete(Map<String, CompletableFuture<V>> futures, String device, V value) {
        CompletableFuture<V> f = futures.get(device);
        if (f != null) {
            f.complete(value);
        }
    }
}
