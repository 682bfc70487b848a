package io.atoll.master.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The Server-Sent Events streams of {@code GET /api/v1/events/stream}.
 *
 * <p>Each stream follows the {@code event} table by id, like a long poll that never ends: the bus
 * only says "something newer exists", and the stream then reads every event after the last one it
 * sent. Subscribing before the first read means no publication is missed between the two, and
 * reading by id means no gap and no duplicate, whatever order publications arrive in.
 *
 * <p>Streams hold no thread while idle. Their writes run on a small pool ({@code atoll-event-stream});
 * one stream's writes never overlap (a stream is scheduled at most once at a time), and each write
 * waits for the client at most {@code stream-send-timeout}. A heartbeat comment every
 * {@code stream-heartbeat} finds the clients that went away; their streams are closed and
 * unsubscribed.
 */
@ApplicationScoped
public class EventStreams {
    private static final Logger LOG = Logger.getLogger(EventStreams.class);
    private static final int BATCH = 500;

    @Inject
    EventService events;

    @Inject
    EventBus bus;

    @Inject
    ObjectMapper json;

    @Inject
    EventsConfig config;

    private final ExecutorService writers = Executors.newFixedThreadPool(4, named("atoll-event-stream"));
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(named("atoll-event-heartbeat"));
    private final Set<Stream> open = ConcurrentHashMap.newKeySet();

    /** Starts streaming the events after {@code after}, then every new one, to {@code sink}. */
    void start(long after, SseEventSink sink, Sse sse) {
        Stream stream = new Stream(after, sink, sse);
        open.add(stream);
        stream.subscription = bus.subscribe(event -> {
            if (event.id() > stream.sent) {
                stream.schedule();
            }
        });
        stream.heartbeat = heartbeats.scheduleWithFixedDelay(stream::beat, config.streamHeartbeat().toMillis(),
                config.streamHeartbeat().toMillis(), TimeUnit.MILLISECONDS);
        stream.schedule();
    }

    /** The streams open now (for tests and, later, metrics). */
    public int openStreams() {
        return open.size();
    }

    @PreDestroy
    void stop() {
        for (Stream stream : open) {
            stream.close();
        }
        heartbeats.shutdownNow();
        writers.shutdownNow();
    }

    private final class Stream {
        private final SseEventSink sink;
        private final Sse sse;
        private final AtomicInteger scheduled = new AtomicInteger();
        private volatile long sent;
        private volatile long lastWrite = System.nanoTime();
        private volatile boolean closed;
        EventBus.Subscription subscription;
        java.util.concurrent.ScheduledFuture<?> heartbeat;

        Stream(long after, SseEventSink sink, Sse sse) {
            this.sent = after;
            this.sink = sink;
            this.sse = sse;
        }

        /** Runs {@link #drain} on a writer; a request while it runs makes it go round once more. */
        void schedule() {
            if (scheduled.getAndIncrement() == 0) {
                try {
                    writers.execute(this::drain);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    close();
                }
            }
        }

        private void drain() {
            int requests;
            do {
                requests = scheduled.get();
                try {
                    while (!closed) {
                        List<Event> batch = events.read(sent, BATCH);
                        if (batch.isEmpty()) {
                            break;
                        }
                        for (Event event : batch) {
                            write(sse.newEventBuilder().id(Long.toString(event.id())).name("event").mediaType(MediaType.APPLICATION_JSON_TYPE)
                                    .data(String.class, json.writeValueAsString(event)).build());
                            sent = event.id();
                        }
                    }
                } catch (JsonProcessingException | RuntimeException e) {
                    if (!closed) {
                        LOG.debugf("event stream after %d: ends (%s)", sent, e.toString());
                    }
                    close();
                }
            } while (scheduled.addAndGet(-requests) != 0 && !closed);
        }

        private void beat() {
            if (sink.isClosed()) {
                close();
            } else if (System.nanoTime() - lastWrite >= config.streamHeartbeat().toNanos() / 2) {
                writers.execute(() -> {
                    try {
                        write(sse.newEventBuilder().comment("heartbeat").build());
                    } catch (RuntimeException e) {
                        close();
                    }
                });
            }
        }

        private synchronized void write(OutboundSseEvent event) {
            if (closed || sink.isClosed()) {
                throw new IllegalStateException("the client went away");
            }
            try {
                sink.send(event).toCompletableFuture().get(config.streamSendTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("write failed: " + e, e);
            }
            lastWrite = System.nanoTime();
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            open.remove(this);
            if (subscription != null) {
                subscription.close();
            }
            if (heartbeat != null) {
                heartbeat.cancel(false);
            }
            try {
                sink.close();
            } catch (RuntimeException ignored) {
                // the connection is gone already
            }
        }
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
