package io.atoll.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.atoll.node.api.DiskMoveProgress;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.qmp.QmpClient;
import io.atoll.qmp.QmpCommand;
import io.atoll.qmp.QmpException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * A live disk move inside one QEMU: the new disk is added as block nodes beside the old one,
 * {@code blockdev-mirror} (sync full) copies the disk's whole chain into it while the guest goes
 * on writing, and once in sync {@code job-complete} pivots the guest's device onto the new node;
 * then the old nodes are deleted. Until the pivot any failure or cancel leaves the guest on the
 * old disk: the job is cancelled and the new nodes are deleted again.
 *
 * <p>Block jobs run while the vCPUs are stopped too, so a paused VM moves as well. No deadline:
 * a large disk takes as long as it takes; QEMU ending wakes the wait.
 */
final class DiskMove {
    private static final Logger LOG = Logger.getLogger(DiskMove.class);
    private static final Duration T = Duration.ofSeconds(30);
    private static final long PROGRESS_LOG_NS = Duration.ofSeconds(5).toNanos();

    private final QmpClient qmp;
    private final String label;
    private final String diskId;
    private final DiskSpec target;
    private final String job;
    private final String formatNode;
    private final String fileNode;
    private volatile boolean cancelRequested;
    private volatile String status = "preparing";
    private volatile long copied;
    private volatile long total;
    private volatile String error;

    /** {@code target}: the new disk as QEMU opens it (format, protocol node, secrets). */
    DiskMove(QmpClient qmp, String label, String diskId, DiskSpec target) {
        this.qmp = qmp;
        this.label = label;
        this.diskId = diskId;
        this.target = target;
        this.job = "move-" + diskId;
        String tag = UUID.randomUUID().toString().substring(0, 8);
        this.formatNode = "mv-" + tag;
        this.fileNode = "mv-" + tag + "-file";
    }

    DiskMoveProgress progress() {
        return new DiskMoveProgress(diskId, status, copied, total, error);
    }

    void cancel() {
        cancelRequested = true;
    }

    /** Moves the guest onto the new disk; throws, with the guest on the old disk and no new node left, when it does not. */
    void run() throws QmpException, InterruptedException {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        // the job's end: empty when it pivoted, else why not
        CompletableFuture<java.util.Optional<String>> ended = new CompletableFuture<>();
        Runnable stopEvents = qmp.onEvent(e -> {
            if (!job.equals(e.data().path("device").asText())) {
                return;
            }
            switch (e.name()) {
                case "BLOCK_JOB_READY" -> ready.complete(null);
                case "BLOCK_JOB_COMPLETED", "BLOCK_JOB_CANCELLED" -> {
                    ended.complete(e.name().equals("BLOCK_JOB_CANCELLED") ? java.util.Optional.of("the job was cancelled")
                            : java.util.Optional.ofNullable(e.data().path("error").asText(null)));
                    ready.completeExceptionally(new QmpException("the copy ended before it was in sync: "
                            + e.data().path("error").asText(e.name())));
                }
                case "BLOCK_JOB_ERROR" -> LOG.warnf("%s: disk move %s: %s", label, job, e.data());
                default -> {
                }
            }
        });
        // Not a close listener (those run after the VM manager's, which releases the disks): see QmpBlockDevice.
        CompletableFuture<Void> closed = qmp.closed().thenRun(() -> {
            QmpException gone = new QmpException.ConnectionClosed("QEMU exited during the disk move");
            ready.completeExceptionally(gone);
            ended.completeExceptionally(gone);
        });
        boolean nodesAdded = false;
        boolean jobStarted = false;
        try {
            String source = QmpBlockDevice.topNode(qmp, label, diskId);
            List<String> oldNodes = chainNodes(source);
            addSecrets();
            addNodes();
            nodesAdded = true;
            Map<String, Object> mirror = new LinkedHashMap<>();
            mirror.put("job-id", job);
            mirror.put("device", source);
            mirror.put("target", formatNode);
            mirror.put("sync", "full");
            qmp.execute(new QmpCommand.Raw("blockdev-mirror", mirror), T);
            jobStarted = true;
            status = "copying";
            LOG.infof("%s: moving disk %s to %s", label, diskId, describe(target));
            awaitReady(ready);
            status = "ready";
            qmp.execute(new QmpCommand.Raw("job-complete", Map.of("id", job)), T);
            java.util.Optional<String> failure = ended.get();
            if (failure.isPresent()) {
                throw new QmpException("the switch-over failed: " + failure.get());
            }
            jobStarted = false;
            String now = QmpBlockDevice.topNode(qmp, label, diskId);
            if (!now.equals(formatNode)) {
                throw new QmpException("QEMU reports the disk on node " + now + " after the switch-over, not " + formatNode);
            }
            dropOld(oldNodes);
            copied = total;
            status = "completed";
            LOG.infof("%s: disk %s moved (%d MiB copied)", label, diskId, total >> 20);
        } catch (QmpException | InterruptedException | RuntimeException | ExecutionException e) {
            status = cancelRequested ? "cancelled" : "failed";
            error = e instanceof ExecutionException ? e.getCause().getMessage() : e.getMessage();
            if (jobStarted) {
                cancelJob(ended);
            }
            if (nodesAdded) {
                dropNew();
            }
            dropSecrets();
            if (e instanceof InterruptedException ie) {
                throw ie;
            }
            if (e instanceof NodeException ne) {
                throw ne;
            }
            throw new NodeException(cancelRequested ? NodeErrorCode.MIGRATION_CANCELLED : NodeErrorCode.MIGRATION_FAILED, label,
                    label + ": moving disk " + diskId + (cancelRequested ? " was cancelled" : " failed: " + error)
                            + "; the guest runs on its old disk");
        } finally {
            stopEvents.run();
            closed.cancel(false);
        }
    }

    private void awaitReady(CompletableFuture<Void> ready) throws QmpException, InterruptedException, ExecutionException {
        long lastLog = System.nanoTime();
        while (true) {
            if (cancelRequested) {
                throw new QmpException("cancelled on request");
            }
            try {
                ready.get(200, TimeUnit.MILLISECONDS);
                readProgress();
                return;
            } catch (java.util.concurrent.TimeoutException notYet) {
                readProgress();
                if (System.nanoTime() - lastLog > PROGRESS_LOG_NS) {
                    lastLog = System.nanoTime();
                    LOG.infof("%s: moving disk %s: %d of %d MiB copied", label, diskId, copied >> 20, total >> 20);
                }
            }
        }
    }

    private void readProgress() throws QmpException {
        for (JsonNode j : qmp.execute(new QmpCommand.Raw("query-block-jobs", Map.of()), T)) {
            if (job.equals(j.path("device").asText())) {
                copied = j.path("offset").asLong();
                total = j.path("len").asLong();
            }
        }
    }

    private void addSecrets() throws QmpException {
        for (Map.Entry<String, String> s : target.secrets().entrySet()) {
            // Over the private QMP socket, never a command line or a log line.
            qmp.execute(new QmpCommand.Raw("object-add", Map.of("qom-type", "secret", "id", s.getKey(), "data", s.getValue())), T);
        }
    }

    private void dropSecrets() {
        for (String id : target.secrets().keySet()) {
            quietly("object-del", Map.of("id", id));
        }
    }

    private void addNodes() throws QmpException {
        Map<String, Object> proto = new LinkedHashMap<>(target.source());
        proto.put("node-name", fileNode);
        proto.putIfAbsent("read-only", false);
        qmp.execute(new QmpCommand.Raw("blockdev-add", proto), T);
        Map<String, Object> format = new LinkedHashMap<>();
        format.put("driver", target.format());
        format.put("node-name", formatNode);
        format.put("file", fileNode);
        format.put("read-only", false);
        format.putAll(target.formatOptions());
        try {
            qmp.execute(new QmpCommand.Raw("blockdev-add", format), T);
        } catch (QmpException e) {
            quietly("blockdev-del", Map.of("node-name", fileNode));
            throw e;
        }
    }

    private void cancelJob(CompletableFuture<?> ended) {
        if (quietly("block-job-cancel", Map.of("device", job, "force", true))) {
            try {
                ended.get(T.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.debugf("%s: the cancelled disk move %s did not report its end: %s", label, job, e.getMessage());
            }
        }
    }

    private void dropNew() {
        quietly("blockdev-del", Map.of("node-name", formatNode));
        quietly("blockdev-del", Map.of("node-name", fileNode));
    }

    /** The old chain's nodes top-down, each format node before its file: the order blockdev-del takes them in. */
    private List<String> chainNodes(String top) throws QmpException {
        JsonNode graph = qmp.execute(new QmpCommand.Raw("x-debug-query-block-graph", Map.of()), T);
        Map<Long, String> nameOf = new LinkedHashMap<>();
        Map<String, Long> idOf = new LinkedHashMap<>();
        for (JsonNode n : graph.path("nodes")) {
            if (n.path("type").asText().equals("block-driver")) {
                nameOf.put(n.path("id").asLong(), n.path("name").asText());
                idOf.put(n.path("name").asText(), n.path("id").asLong());
            }
        }
        List<String> out = new ArrayList<>();
        String cur = top;
        while (cur != null && idOf.containsKey(cur) && !out.contains(cur)) {
            out.add(cur);
            long id = idOf.get(cur);
            String file = child(graph, id, "file", nameOf);
            if (file != null) {
                out.add(file);
            }
            cur = child(graph, id, "backing", nameOf);
        }
        return out;
    }

    private static String child(JsonNode graph, long parent, String role, Map<Long, String> nameOf) {
        for (JsonNode e : graph.path("edges")) {
            if (e.path("parent").asLong() == parent && e.path("name").asText().equals(role)) {
                return nameOf.get(e.path("child").asLong());
            }
        }
        return null;
    }

    /** After the pivot: the old nodes go, so that QEMU no longer has the old disk's files open. */
    private void dropOld(List<String> oldNodes) {
        for (String node : oldNodes) {
            // Nodes QEMU made implicitly (a qcow2's backing file opened by name) go with their parent: a refusal is fine.
            quietly("blockdev-del", Map.of("node-name", node));
        }
    }

    private boolean quietly(String command, Map<String, Object> args) {
        try {
            qmp.execute(new QmpCommand.Raw(command, args), T);
            return true;
        } catch (QmpException e) {
            LOG.debugf("%s: disk move %s: %s %s: %s", label, job, command, args, e.getMessage());
            return false;
        }
    }

    private static String describe(DiskSpec d) {
        Object where = d.source().getOrDefault("filename", d.source().get("driver"));
        return d.format() + " " + where;
    }
}
