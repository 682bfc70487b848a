package io.atoll.master.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.atoll.master.testing.KafkaBroker;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Only the active master relays events to Kafka (a real KRaft broker, no Quarkus): before it is
 * activated the relay sends nothing; activated, it goes on from the stored position; deactivated
 * (a standby again) it sends nothing more; activated again with the position another instance
 * stored, it goes on from there — the topic holds each event once, in order.
 */
class KafkaRelayRoleTest {
    private static final KafkaBroker BROKER = new KafkaBroker();
    private static String bootstrap;

    @BeforeAll
    static void broker() {
        bootstrap = BROKER.start().get(KafkaBroker.BOOTSTRAP);
    }

    @AfterAll
    static void stopBroker() {
        BROKER.stop();
    }

    @Test
    void onlyTheActiveInstanceRelaysAndATakeOverGoesOnFromTheStoredPosition() throws Exception {
        List<Event> table = new CopyOnWriteArrayList<>();
        EventService events = new EventService() {
            @Override
            List<Event> read(long after, int limit) {
                return table.stream().filter(e -> e.id() > after).limit(limit).toList();
            }
        };
        String topic = "relay-role-" + UUID.randomUUID();
        List<Long> acknowledged = new CopyOnWriteArrayList<>();
        ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());
        try (KafkaEventBus bus = new KafkaEventBus(config(topic), events, json, acknowledged::add);
                KafkaConsumer<String, String> consumer = consumer(topic)) {
            List<Long> received = new ArrayList<>();

            write(bus, table, 1, 2, 3);
            assertThat(bus.relaying()).isFalse();
            awaitQuiet(consumer, received, Duration.ofSeconds(3));
            assertThat(received).as("a standby (not yet activated) sends nothing").isEmpty();

            // Activated with the position a previous active instance stored (2): it goes on from 3.
            bus.activate(2, 3);
            write(bus, table, 4, 5);
            awaitReceived(consumer, received, 5);
            assertThat(received).containsExactly(3L, 4L, 5L);
            awaitAcknowledged(acknowledged, 5);

            // A standby again: what is written now (by the next active instance) is not sent from here.
            bus.deactivate();
            assertThat(bus.relaying()).isFalse();
            write(bus, table, 6, 7);
            awaitQuiet(consumer, received, Duration.ofSeconds(3));
            assertThat(received).as("a deactivated instance sends nothing more").containsExactly(3L, 4L, 5L);

            // Active again: the other instance relayed up to 6 and stored it.
            bus.activate(6, 7);
            awaitReceived(consumer, received, 7);
            assertThat(received).as("each event once, in order").containsExactly(3L, 4L, 5L, 7L);
        }
    }

    private static void write(KafkaEventBus bus, List<Event> table, long... ids) {
        List<Event> batch = new ArrayList<>();
        for (long id : ids) {
            batch.add(new Event(id, ObjectClass.VM, EventOperation.MOD, UUID.randomUUID(), Instant.now(), null));
        }
        table.addAll(batch);
        bus.publish(batch);
    }

    private static void awaitReceived(KafkaConsumer<String, String> consumer, List<Long> received, long last) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!received.contains(last)) {
            assertThat(System.nanoTime()).as("event %d on the topic within 30 s (have %s)", last, received).isLessThan(deadline);
            consumer.poll(Duration.ofMillis(200)).forEach(r -> received.add(idOf(r.value())));
        }
    }

    private static void awaitQuiet(KafkaConsumer<String, String> consumer, List<Long> received, Duration window) {
        long end = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < end) {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> received.add(idOf(r.value())));
        }
    }

    private static long idOf(String value) {
        try {
            return new ObjectMapper().readTree(value).get("id").asLong();
        } catch (java.io.IOException e) {
            throw new AssertionError("an event on the topic is not JSON: " + value, e);
        }
    }

    private static void awaitAcknowledged(List<Long> acknowledged, long id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!acknowledged.contains(id)) {
            assertThat(System.nanoTime()).as("position %d acknowledged (have %s)", id, acknowledged).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static KafkaConsumer<String, String> consumer(String topic) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    private static EventsConfig.Kafka config(String topic) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(EventsConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(Map.of(KafkaBroker.BOOTSTRAP, bootstrap, "atoll.master.events.kafka.events-topic", topic,
                        "atoll.master.events.kafka.send-timeout", "10s"), "test", 500))
                .build();
        return config.getConfigMapping(EventsConfig.class).kafka();
    }
}
