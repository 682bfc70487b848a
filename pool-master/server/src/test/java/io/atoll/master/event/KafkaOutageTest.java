package io.atoll.master.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A master whose Kafka is down: publishing returns at once, local followers are still woken, and
 * the failed sends are counted and retried — the API call that wrote the event never notices.
 * No Quarkus, no broker: a bootstrap address where nothing listens.
 */
class KafkaOutageTest {

    @Test
    void aBrokerThatIsDownNeverHoldsUpOrFailsAPublication() throws Exception {
        Event event = new Event(1, ObjectClass.VM, EventOperation.ADD, UUID.randomUUID(), Instant.now(), null);
        List<Long> reads = new CopyOnWriteArrayList<>();
        EventService table = new EventService() {
            @Override
            List<Event> read(long after, int limit) {
                reads.add(after);
                return after < 1 ? List.of(event) : List.of();
            }
        };
        ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());
        try (KafkaEventBus bus = new KafkaEventBus(config(deadPort()), table, json, id -> {
            throw new AssertionError("nothing is acknowledged while the broker is down");
        })) {
            bus.activate(0, 0);
            List<Event> woken = new CopyOnWriteArrayList<>();
            bus.subscribe(woken::add);

            long start = System.nanoTime();
            bus.publish(List.of(event));
            bus.publish("audit-1", Map.of("action", "vm.create"));
            // A publication that waited for Kafka would take the send timeout (4 s); the bound leaves room for a loaded machine.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("publication does not wait for Kafka").isLessThan(Duration.ofSeconds(3));
            assertThat(woken).as("followers in this process are woken at once").containsExactly(event);

            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (bus.eventSendFailures() < 2) {
                assertThat(System.nanoTime()).as("two failed sends counted within 40 s").isLessThan(deadline);
                Thread.sleep(50);
            }
            assertThat(bus.sent()).as("nothing counts as sent while the broker is down").isZero();
            assertThat(reads).as("each attempt re-reads the table from the first unsent id").allMatch(after -> after == 0);
        }
    }

    static EventsConfig.Kafka config(int port) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(EventsConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(Map.of("atoll.master.events.kafka.bootstrap-servers", "127.0.0.1:" + port,
                        "atoll.master.events.kafka.send-timeout", "4s"), "test", 500))
                .build();
        return config.getConfigMapping(EventsConfig.class).kafka();
    }

    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
