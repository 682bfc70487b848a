package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.await;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.master.event.AuditSink;
import io.atoll.master.event.RelayPositions;
import io.atoll.master.testing.KafkaBroker;
import io.atoll.master.testing.KafkaProfile;
import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The master with Kafka on (a real one-node broker, {@link KafkaBroker}): every event reaches
 * {@code atoll.events} in id order, keyed by the object's uuid, while clients are still served
 * from the database; audit records reach {@code atoll.audit}.
 */
@QuarkusTest
@TestProfile(KafkaProfile.class)
@WithTestResource(PostgresServer.class)
class KafkaEventsTest {

    @ConfigProperty(name = KafkaBroker.BOOTSTRAP)
    String bootstrap;

    @Inject
    AuditSink audit;

    @Inject
    RelayPositions positions;

    @Test
    void everyEventReachesTheTopicInOrderKeyedByItsObject() throws Exception {
        long token = api().get("/api/v1/events").then().statusCode(200).extract().jsonPath().getLong("token");
        // Cheap writes: a VM created, then destroyed by a task (task add/mod, VM lock, VM del).
        String vm = api().body("{\"name\": \"kafka-followed\", \"memoryMiB\": 32}").post("/api/v1/vms").then().statusCode(201)
                .extract().path("uuid");
        String task = api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid");
        assertThat(awaitTask(task, Duration.ofSeconds(10)).getString("status")).isEqualTo("SUCCESS");

        // The long poll still answers from the database, as without Kafka.
        List<Map<String, Object>> fromDatabase = new ArrayList<>();
        long from = token;
        while (fromDatabase.stream().noneMatch(e -> "del".equals(e.get("operation")) && vm.equals(e.get("ref")))) {
            JsonPath batch = api().get("/api/v1/events?from=" + from + "&timeout=5").then().statusCode(200).extract().jsonPath();
            assertThat(batch.getList("events")).as("events up to the VM's deletion").isNotEmpty();
            fromDatabase.addAll(batch.getList("events"));
            from = batch.getLong("token");
        }

        // The topic holds the same events, in the same order, each keyed by its object's uuid.
        long last = from;
        List<ConsumerRecord<String, String>> records = consume("atoll.events", r -> JsonPath.from(r.value()).getLong("id") >= last);
        List<ConsumerRecord<String, String>> ours = records.stream().filter(r -> JsonPath.from(r.value()).getLong("id") > token).toList();
        assertThat(ours.stream().map(r -> JsonPath.from(r.value()).getLong("id")))
                .as("ids in order, none missing, none twice")
                .containsExactlyElementsOf(fromDatabase.stream().map(e -> ((Number) e.get("id")).longValue()).toList());
        for (int i = 0; i < ours.size(); i++) {
            JsonPath value = JsonPath.from(ours.get(i).value());
            Map<String, Object> expected = fromDatabase.get(i);
            assertThat(ours.get(i).key()).as("key = the object's uuid").isEqualTo(expected.get("ref")).isEqualTo(value.getString("ref"));
            assertThat(value.getString("class")).isEqualTo(expected.get("class"));
            assertThat(value.getString("operation")).isEqualTo(expected.get("operation"));
            assertThat(value.getMap("snapshot")).isEqualTo(expected.get("snapshot"));
        }
        assertThat(ours.get(0).key()).isEqualTo(vm);
        assertThat(JsonPath.from(ours.get(0).value()).getString("operation")).isEqualTo("add");
        assertThat(ours.stream().map(ConsumerRecord::key)).contains(task);

        // The position Kafka acknowledged is stored: a restarted master goes on from there.
        await("the relay position stored", Duration.ofSeconds(10), () -> positions.get("kafka:atoll.events").orElse(0) >= last);
    }

    @Test
    void auditRecordsReachTheirTopic() throws Exception {
        String key = "audit-" + UUID.randomUUID();
        audit.publish(key, Map.of("user", "admin", "action", "vm.create", "result", "201"));
        List<ConsumerRecord<String, String>> records = consume("atoll.audit", r -> key.equals(r.key()));
        ConsumerRecord<String, String> record = records.get(records.size() - 1);
        assertThat(JsonPath.from(record.value()).getString("action")).isEqualTo("vm.create");
        assertThat(JsonPath.from(record.value()).getString("user")).isEqualTo("admin");
    }

    /** Reads {@code topic} from its beginning until a record matches {@code until} (bounded), and answers all it read. */
    private List<ConsumerRecord<String, String>> consume(String topic, Predicate<ConsumerRecord<String, String>> until) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (records.stream().noneMatch(until)) {
                assertThat(System.nanoTime()).as("the record on %s within 30 s (read %d)", topic, records.size()).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }
}
