package io.atoll.master.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * The {@link EventBus} (and {@link AuditSink}) of a master with Kafka: subscribers in this process
 * are called at once, as by {@link InProcessEventBus}; Kafka gets the events from a relay thread.
 *
 * <p><b>Why a relay that reads the table.</b> Publication happens after commit on the committing
 * thread, and two transactions may publish out of id order. The relay instead sends what the
 * {@code event} table holds after the last id Kafka acknowledged, in id order: nothing is sent
 * that did not commit, nothing committed is skipped, and no API call ever waits for a broker. When
 * a send fails (broker down, timeout), the failure is logged and counted and the relay sends again
 * from the first unacknowledged id after a back-off — at least once, in order; consumers
 * de-duplicate by the event's {@code id}. Audit records are queued and sent by the same thread,
 * at most once: a full queue or a failed send drops the record (logged, counted).
 *
 * <p><b>Only the active master relays.</b> The relay sends nothing until {@link #activate} gives it
 * the position to go on from (the one stored by whichever instance relayed last) and stops
 * sending at {@link #deactivate}: a standby never sends, and a take-over goes on where the previous
 * active instance's broker acknowledged, so duplicates are limited to the batch in flight when the
 * lease changed hands.
 *
 * <p>Topics are not created here: the broker's automatic creation serves tests and small pools;
 * an operator creates {@code atoll.events} with the partitions wanted (events of one object keep
 * their order, the key being its uuid).
 */
final class KafkaEventBus implements EventBus, AuditSink, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KafkaEventBus.class);
    private static final int BATCH = 500;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final InProcessEventBus local = new InProcessEventBus();
    private final EventsConfig.Kafka config;
    private final EventService events;
    private final ObjectMapper json;
    private final LongConsumer acknowledged;
    private final KafkaProducer<String, String> producer;
    private final BlockingQueue<ProducerRecord<String, String>> audit;
    private final Thread relay;
    private final Object signal = new Object();
    private final AtomicLong eventSendFailures = new AtomicLong();
    private final AtomicLong auditDropped = new AtomicLong();
    private final AtomicReference<long[]> activation = new AtomicReference<>();
    private volatile long published;
    private volatile long sent;
    private volatile boolean active;
    private volatile boolean running = true;

    /**
     * Starts the relay thread, idle until {@link #activate}; {@code acknowledged} is told the last
     * id of each batch Kafka took (to store the position), on the relay thread.
     */
    KafkaEventBus(EventsConfig.Kafka config, EventService events, ObjectMapper json, LongConsumer acknowledged) {
        this.config = config;
        this.acknowledged = acknowledged;
        this.events = events;
        this.json = json;
        this.audit = new ArrayBlockingQueue<>(Math.max(1, config.auditQueue()));
        this.producer = new KafkaProducer<>(producerProperties(config), new StringSerializer(), new StringSerializer());
        this.relay = new Thread(this::run, "atoll-kafka-relay");
        relay.setDaemon(true);
        relay.start();
        LOG.infof("events: Kafka %s (topics %s, %s) ready; events are relayed while this instance is the active master",
                config.bootstrapServers().orElseThrow(), config.eventsTopic(), config.auditTopic());
    }

    /**
     * This instance became the active master: relay every event after {@code startAfter} (the
     * stored position) up to {@code newest} and then each one published here.
     */
    void activate(long startAfter, long newest) {
        activation.set(new long[] {startAfter, Math.max(startAfter, newest)});
        synchronized (signal) {
            signal.notifyAll();
        }
        LOG.infof("events: relaying to Kafka after event %d (newest %d)", startAfter, newest);
    }

    /** This instance is no longer the active master: the relay sends no more events (a batch in flight ends). */
    void deactivate() {
        active = false;
        activation.set(null);
        LOG.infof("events: Kafka relay stopped after event %d (this instance is not the active master)", sent);
    }

    /** Whether the relay sends events now. */
    boolean relaying() {
        return active;
    }

    static Properties producerProperties(EventsConfig.Kafka config) {
        long timeout = config.sendTimeout().toMillis();
        if (timeout < 2000) {
            throw new IllegalArgumentException("atoll.master.events.kafka.send-timeout is " + config.sendTimeout() + ": give 2s or more");
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers().orElseThrow());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, config.clientId());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        // Bounds every wait of the relay thread: metadata (a broker that is down), each request, a whole send.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeout));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(timeout / 2));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(timeout));
        return p;
    }

    @Override
    public void publish(List<Event> batch) {
        local.publish(batch);
        if (!batch.isEmpty()) {
            long newest = batch.get(batch.size() - 1).id();
            synchronized (signal) {
                if (newest > published) {
                    published = newest;
                }
                signal.notifyAll();
            }
        }
    }

    @Override
    public Subscription subscribe(Consumer<Event> subscriber) {
        return local.subscribe(subscriber);
    }

    @Override
    public void publish(String key, Object record) {
        String value;
        try {
            value = json.writeValueAsString(record);
        } catch (JsonProcessingException | RuntimeException e) {
            long dropped = auditDropped.incrementAndGet();
            LOG.errorf(e, "audit record %s: cannot write it as JSON, dropped (%d dropped so far)", key, dropped);
            return;
        }
        if (!audit.offer(new ProducerRecord<>(config.auditTopic(), key, value))) {
            long dropped = auditDropped.incrementAndGet();
            if (dropped == 1 || dropped % 1000 == 0) {
                LOG.warnf("audit record %s: the Kafka queue is full (%d), dropped (%d dropped so far)", key, config.auditQueue(), dropped);
            }
            return;
        }
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    /** Event sends that failed (each is retried), since start. */
    long eventSendFailures() {
        return eventSendFailures.get();
    }

    /** Audit records not delivered (queue full, unwritable, or refused by the broker), since start. */
    long auditDropped() {
        return auditDropped.get();
    }

    /** The newest event id Kafka acknowledged (or the last one before start). */
    long sent() {
        return sent;
    }

    private void run() {
        Duration backoff = Duration.ofMillis(500);
        while (running) {
            try {
                sendAudit();
                long[] start = activation.getAndSet(null);
                if (start != null) {
                    sent = start[0];
                    synchronized (signal) {
                        published = Math.max(published, start[1]);
                    }
                    active = true;
                }
                if (active && published > sent) {
                    if (sendEvents()) {
                        backoff = Duration.ofMillis(500);
                    } else {
                        sleep(backoff);
                        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                    }
                    continue;
                }
                synchronized (signal) {
                    if ((!active || published <= sent) && audit.isEmpty() && activation.get() == null && running) {
                        signal.wait(1000);
                    }
                }
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (RuntimeException e) {
                // A bug or an unreadable database must not end the relay: log, wait, go on.
                LOG.errorf(e, "events: Kafka relay after event %d failed", sent);
                try {
                    sleep(backoff);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private void sendAudit() {
        ProducerRecord<String, String> record;
        while ((record = audit.poll()) != null) {
            String key = record.key();
            try {
                producer.send(record, (metadata, e) -> {
                    if (e != null) {
                        long dropped = auditDropped.incrementAndGet();
                        LOG.warnf("audit record %s: Kafka did not take it (%s), dropped (%d dropped so far)", key, e.toString(), dropped);
                    }
                });
            } catch (RuntimeException e) {
                long dropped = auditDropped.incrementAndGet();
                LOG.warnf("audit record %s: Kafka did not take it (%s), dropped (%d dropped so far)", key, e.toString(), dropped);
            }
        }
    }

    /** Sends the next batch from the table; false when a send failed (the batch is sent again from the failed id). */
    private boolean sendEvents() throws InterruptedException {
        List<Event> batch = events.read(sent, BATCH);
        if (batch.isEmpty()) {
            return true;
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>(batch.size());
        try {
            for (Event event : batch) {
                acks.add(producer.send(new ProducerRecord<>(config.eventsTopic(), event.ref().toString(), json.writeValueAsString(event))));
            }
            for (int i = 0; i < batch.size(); i++) {
                acks.get(i).get(config.sendTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
                sent = batch.get(i).id();
            }
        } catch (ExecutionException | TimeoutException | JsonProcessingException | RuntimeException e) {
            long failures = eventSendFailures.incrementAndGet();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            LOG.warnf("events: Kafka did not take event %d (%s; %d failed sends so far): sending again from it", sent + 1, cause,
                    failures);
            return false;
        }
        acknowledged.accept(sent);
        return true;
    }

    /** A back-off that new events do not cut short (close() interrupts it). */
    private static void sleep(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }

    /** Stops the relay and closes the producer; what is queued gets a few seconds to leave. */
    @Override
    public void close() {
        running = false;
        relay.interrupt();
        try {
            relay.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        LOG.infof("events: Kafka publisher closed after event %d (%d failed event sends, %d audit records dropped)", sent,
                eventSendFailures.get(), auditDropped.get());
    }
}
