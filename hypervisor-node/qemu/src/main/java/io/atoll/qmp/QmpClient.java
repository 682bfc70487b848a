package io.atoll.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * A connection to one QEMU's QMP socket.
 *
 * <p>One reader thread parses what QEMU sends: answers complete the pending command with the same
 * {@code id}; events go, in order, to the listeners on a separate dispatch thread, so a listener
 * may itself send commands. When the connection ends (QEMU exited or was killed) every pending
 * command fails with {@link QmpException.ConnectionClosed} and the close listeners run after the
 * last event. Thread-safe: commands may be sent from any thread.
 */
public final class QmpClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(QmpClient.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final AtomicLong THREADS = new AtomicLong();

    private final String label;
    private final SocketChannel channel;
    private final BufferedReader reader;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final CopyOnWriteArrayList<Consumer<QmpEvent>> eventListeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Runnable> closeListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService dispatch;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Object writeLock = new Object();
    private volatile JsonNode greeting;
    private volatile boolean closedLocally;

    private record Pending(String command, CompletableFuture<JsonNode> answer) {
    }

    private QmpClient(String label, SocketChannel channel) {
        this.label = label;
        this.channel = channel;
        this.reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        long n = THREADS.incrementAndGet();
        this.dispatch = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "qmp-events-" + label + "-" + n);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to a QMP socket, reads QEMU's greeting and leaves capabilities negotiation mode.
     *
     * @param socket the unix socket QEMU listens on ({@code -qmp unix:PATH,server=on,wait=off})
     * @param label names the connection in logs and thread names (the VM's name or uuid)
     * @param timeout how long to wait for the greeting and the negotiation
     */
    public static QmpClient connect(Path socket, String label, Duration timeout) throws IOException, QmpException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot connect to QMP socket " + socket + ": " + e.getMessage(), e);
        }
        QmpClient client = new QmpClient(label, ch);
        CompletableFuture<JsonNode> greeted = new CompletableFuture<>();
        client.pending.put("__greeting", new Pending("greeting", greeted));
        Thread t = new Thread(client::readLoop, "qmp-reader-" + label);
        t.setDaemon(true);
        t.start();
        try {
            client.greeting = await(greeted, "greeting", timeout, client.label);
            client.execute(new QmpCommand.Raw("qmp_capabilities", Map.of()), timeout);
        } catch (QmpException | RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    /** The greeting QEMU sent, with its version and capabilities. */
    public JsonNode greeting() {
        return greeting;
    }

    /**
     * Adds a listener for asynchronous events; it runs on this connection's dispatch thread.
     * Returns what removes it.
     */
    public Runnable onEvent(Consumer<QmpEvent> listener) {
        eventListeners.add(listener);
        return () -> eventListeners.remove(listener);
    }

    /**
     * Adds a listener that runs once when the connection has ended, after every event received
     * before the end; at once (on the calling thread) if it has already ended. Returns what
     * removes it.
     */
    public Runnable onClose(Runnable listener) {
        closeListeners.add(listener);
        if (closed.isDone() && closeListeners.remove(listener)) {
            listener.run();
        }
        return () -> closeListeners.remove(listener);
    }

    /** Completes when the connection has ended. */
    public CompletableFuture<Void> closed() {
        return closed;
    }

    /** Whether the connection ended because {@link #close()} was called, not because QEMU went away. */
    public boolean closedLocally() {
        return closedLocally;
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    /** Sends a typed command and waits for its answer. */
    public <R> R execute(QmpCommand<R> command, Duration timeout) throws QmpException {
        JsonNode result = send(command.name(), command.arguments(), timeout);
        Class<R> type = command.resultType();
        if (type == JsonNode.class) {
            return type.cast(result);
        }
        try {
            return JSON.treeToValue(result, type);
        } catch (IOException e) {
            throw new QmpException("qmp " + command.name() + ": unexpected answer " + result, e);
        }
    }

    private JsonNode send(String command, Map<String, Object> arguments, Duration timeout) throws QmpException {
        if (closed.isDone()) {
            throw new QmpException.ConnectionClosed("qmp " + command + " on " + label + ": the connection is closed (QEMU has exited)");
        }
        String id = "atoll-" + ids.incrementAndGet();
        ObjectNode message = JSON.createObjectNode();
        message.put("execute", command);
        if (!arguments.isEmpty()) {
            message.set("arguments", JSON.valueToTree(arguments));
        }
        message.put("id", id);
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, new Pending(command, answer));
        try {
            byte[] bytes = (JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (writeLock) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
        } catch (IOException e) {
            pending.remove(id);
            throw new QmpException.ConnectionClosed("qmp " + command + " on " + label + ": cannot send (" + e.getMessage() + "): QEMU has probably exited");
        }
        try {
            return await(answer, command, timeout, label);
        } finally {
            pending.remove(id);
        }
    }

    private static JsonNode await(CompletableFuture<JsonNode> answer, String command, Duration timeout, String label)
            throws QmpException {
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new QmpException.Timeout("qmp " + command + " on " + label + ": no answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("qmp " + command + " on " + label + ": interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof QmpException q) {
                throw q;
            }
            throw new QmpException("qmp " + command + " on " + label + ": " + e.getCause(), e.getCause());
        }
    }

    private void readLoop() {
        String reason = "QEMU closed the connection";
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    handle(line);
                }
            }
        } catch (IOException e) {
            if (!closed.isDone()) {
                reason = "read failed: " + e.getMessage();
            }
        } finally {
            finish(reason);
        }
    }

    private void handle(String line) {
        JsonNode msg;
        try {
            msg = JSON.readTree(line);
        } catch (IOException e) {
            LOG.warnf("qmp %s: ignoring a line that is not JSON: %s", label, line);
            return;
        }
        if (msg.has("QMP")) {
            complete("__greeting", msg.get("QMP"), null);
        } else if (msg.has("event")) {
            JsonNode ts = msg.path("timestamp");
            Instant at = ts.has("seconds")
                    ? Instant.ofEpochSecond(ts.get("seconds").asLong(), ts.path("microseconds").asLong() * 1000)
                    : Instant.now();
            QmpEvent event = new QmpEvent(msg.get("event").asText(), msg.has("data") ? msg.get("data") : JSON.createObjectNode(), at);
            dispatch.execute(() -> {
                for (Consumer<QmpEvent> l : eventListeners) {
                    try {
                        l.accept(event);
                    } catch (RuntimeException e) {
                        LOG.errorf(e, "qmp %s: event listener failed on %s", label, event.name());
                    }
                }
            });
        } else if (msg.has("id")) {
            String id = msg.get("id").asText();
            if (msg.has("error")) {
                Pending p = pending.get(id);
                String cmd = p == null ? "?" : p.command();
                complete(id, null, new QmpException.CommandFailed(cmd, msg.get("error").path("class").asText(),
                        msg.get("error").path("desc").asText()));
            } else {
                complete(id, msg.has("return") ? msg.get("return") : JSON.createObjectNode(), null);
            }
        }
    }

    private void complete(String id, JsonNode value, QmpException error) {
        Pending p = pending.get(id);
        if (p == null) {
            return; // answer to a command that timed out
        }
        if (error != null) {
            p.answer().completeExceptionally(error);
        } else {
            p.answer().complete(value);
        }
    }

    private void finish(String reason) {
        if (!closed.isDone()) {
            LOG.debugf("qmp %s: connection ended (%s)", label, reason);
        }
        for (Pending p : pending.values()) {
            p.answer().completeExceptionally(new QmpException.ConnectionClosed(
                    "qmp " + p.command() + " on " + label + ": " + reason + " before answering (QEMU has exited?)"));
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // already closed
        }
        dispatch.execute(() -> {
            closed.complete(null);
            for (Runnable l : closeListeners) {
                if (closeListeners.remove(l)) {
                    try {
                        l.run();
                    } catch (RuntimeException e) {
                        LOG.errorf(e, "qmp %s: close listener failed", label);
                    }
                }
            }
        });
        dispatch.shutdown();
    }

    /** Closes the connection; QEMU keeps running. Close listeners run. */
    @Override
    public void close() {
        closedLocally = true;
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // not connected
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public String toString() {
        return "QmpClient[" + label + "]";
    }
}
