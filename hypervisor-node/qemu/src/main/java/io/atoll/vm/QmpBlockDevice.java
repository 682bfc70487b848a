package io.atoll.vm;

import com.fasterxml.jackson.databind.JsonNode;
import io.atoll.qmp.QmpClient;
import io.atoll.qmp.QmpCommand;
import io.atoll.qmp.QmpEvent;
import io.atoll.qmp.QmpException;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * A running VM's disk, lent to a storage adapter: snapshot, stream and commit through QMP while the
 * guest runs. The chain is read from QEMU each time (node names change as images come and go).
 * Block jobs have no deadline: they finish, fail, or the VM stops; a job QEMU reports failed
 * leaves the chain as it was.
 */
final class QmpBlockDevice implements LiveBlockDevice {
    private static final Logger LOG = Logger.getLogger(QmpBlockDevice.class);
    private static final Duration T = Duration.ofSeconds(30);
    private final QmpClient qmp;
    private final String label;
    private final String deviceId;

    QmpBlockDevice(QmpClient qmp, String label, String deviceId) {
        this.qmp = qmp;
        this.label = label;
        this.deviceId = deviceId;
    }

    /** A format node of the chain: its node name and its file's name. */
    private record Node(String nodeName, String filename) {
    }

    /**
     * Walks the block graph from the device's root node along "backing" edges; each format node's
     * file name is that of its "file" child (the format node's own name may be a json: description).
     */
    /** The node the guest's device reads and writes through (the top of its chain). */
    static String topNode(QmpClient qmp, String label, String deviceId) throws QmpException {
        for (JsonNode dev : qmp.execute(new QmpCommand.QueryBlock(), T)) {
            String qdev = dev.path("qdev").asText();
            if (qdev.equals(deviceId) || qdev.startsWith("/machine/peripheral/" + deviceId + "/")) {
                String node = dev.path("inserted").path("node-name").asText(null);
                if (node != null) {
                    return node;
                }
            }
        }
        throw new StorageException(StorageErrorCode.NOT_FOUND, label + ": no disk " + deviceId + " in the running VM");
    }

    private List<Node> nodes() {
        String top;
        try {
            top = topNode(qmp, label, deviceId);
        } catch (QmpException e) {
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, label + ": " + e.getMessage(), e);
        }
        Map<String, String> fileOf = new LinkedHashMap<>();
        for (JsonNode n : call(new QmpCommand.Raw("query-named-block-nodes", Map.of("flat", true)))) {
            fileOf.put(n.path("node-name").asText(), n.path("file").asText());
        }
        JsonNode graph = call(new QmpCommand.Raw("x-debug-query-block-graph", Map.of()));
        Map<Long, String> nameOf = new LinkedHashMap<>();
        Map<String, Long> idOf = new LinkedHashMap<>();
        for (JsonNode n : graph.path("nodes")) {
            nameOf.put(n.path("id").asLong(), n.path("name").asText());
            if (n.path("type").asText().equals("block-driver")) {
                idOf.put(n.path("name").asText(), n.path("id").asLong());
            }
        }
        List<Node> chain = new ArrayList<>();
        String cur = top;
        while (cur != null && idOf.containsKey(cur)) {
            long id = idOf.get(cur);
            String file = child(graph, id, "file").map(nameOf::get).map(fileOf::get).orElse(fileOf.get(cur));
            chain.add(new Node(cur, file));
            cur = child(graph, id, "backing").map(nameOf::get).orElse(null);
        }
        return chain;
    }

    private static java.util.Optional<Long> child(JsonNode graph, long parent, String role) {
        for (JsonNode e : graph.path("edges")) {
            if (e.path("parent").asLong() == parent && e.path("name").asText().equals(role)) {
                return java.util.Optional.of(e.path("child").asLong());
            }
        }
        return java.util.Optional.empty();
    }

    @Override
    public List<Map<String, Object>> chain() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Node n : nodes()) {
            out.add(Map.of("filename", n.filename(), "node-name", n.nodeName()));
        }
        return out;
    }

    @Override
    public void snapshot(Map<String, Object> overlay) {
        List<Node> chain = nodes();
        String node = deviceId + "-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> add = new LinkedHashMap<>();
        add.put("driver", "qcow2");
        add.put("node-name", node);
        add.put("file", overlay);
        add.put("backing", null);
        call(new QmpCommand.Raw("blockdev-add", add));
        try {
            call(new QmpCommand.Raw("blockdev-snapshot", Map.of("node", chain.get(0).nodeName(), "overlay", node)));
        } catch (StorageException e) {
            try {
                call(new QmpCommand.Raw("blockdev-del", Map.of("node-name", node)));
            } catch (StorageException ignored) {
                // report the first failure
            }
            throw e;
        }
        LOG.infof("%s: disk %s now writes to %s", label, deviceId, overlay);
    }

    @Override
    public void stream(int index) {
        List<Node> chain = nodes();
        check(index, chain, 2);
        Map<String, Object> args = new LinkedHashMap<>();
        String job = "stream-" + UUID.randomUUID().toString().substring(0, 8);
        args.put("job-id", job);
        args.put("device", chain.get(index).nodeName());
        if (index + 2 < chain.size()) {
            args.put("base-node", chain.get(index + 2).nodeName());
        }
        runJob(job, new QmpCommand.Raw("block-stream", args), false);
        LOG.infof("%s: disk %s: streamed %s into %s", label, deviceId, chain.get(index + 1).filename(), chain.get(index).filename());
    }

    @Override
    public void commit(int top) {
        List<Node> chain = nodes();
        check(top, chain, 2);
        String job = "commit-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("job-id", job);
        args.put("device", chain.get(0).nodeName());
        args.put("top-node", chain.get(top).nodeName());
        args.put("base-node", chain.get(top + 1).nodeName());
        runJob(job, new QmpCommand.Raw("block-commit", args), top == 0);
        LOG.infof("%s: disk %s: committed %s into %s", label, deviceId, chain.get(top).filename(), chain.get(top + 1).filename());
    }

    private void check(int index, List<Node> chain, int needed) {
        if (index < 0 || index + needed > chain.size()) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, label + ": disk " + deviceId + " has " + chain.size()
                    + " images; position " + index + " has no image below it");
        }
    }

    /** Starts a block job and waits for its end; an active commit is completed when READY. */
    private void runJob(String job, QmpCommand.Raw start, boolean completeWhenReady) {
        CompletableFuture<JsonNode> done = new CompletableFuture<>();
        Consumer<QmpEvent> listener = e -> {
            if (!job.equals(e.data().path("device").asText())) {
                return;
            }
            switch (e.name()) {
                case "BLOCK_JOB_READY" -> {
                    if (completeWhenReady) {
                        CompletableFuture.runAsync(() -> {
                            try {
                                qmp.execute(new QmpCommand.Raw("block-job-complete", Map.of("device", job)), T);
                            } catch (QmpException ex) {
                                done.completeExceptionally(ex);
                            }
                        });
                    }
                }
                case "BLOCK_JOB_COMPLETED", "BLOCK_JOB_CANCELLED" -> done.complete(e.data());
                case "BLOCK_JOB_ERROR" -> LOG.warnf("%s: block job %s: %s", label, job, e.data());
                default -> {
                }
            }
        };
        Runnable stopEvents = qmp.onEvent(listener);
        // Not a close listener: those run one after the other, and the VM manager's (which releases
        // the VM's disks, calling into the adapter that waits here) runs first. The closed future
        // completes before any of them.
        CompletableFuture<Void> ended = qmp.closed().thenRun(() -> done.completeExceptionally(
                new QmpException.ConnectionClosed("QEMU exited during block job " + job)));
        Runnable stopClose = () -> ended.cancel(false);
        try {
            call(start);
            JsonNode end = done.get();
            if (end.has("error")) {
                throw new StorageException(StorageErrorCode.BACKEND_FAILED, label + ": block job " + job + " failed: "
                        + end.path("error").asText());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, label + ": interrupted waiting for " + job, e);
        } catch (ExecutionException e) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, label + ": " + e.getCause().getMessage(), e.getCause());
        } finally {
            stopEvents.run();
            stopClose.run();
        }
    }

    private <R> R call(QmpCommand<R> command) {
        try {
            return qmp.execute(command, T);
        } catch (QmpException e) {
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, label + ": " + e.getMessage(), e);
        }
    }
}
