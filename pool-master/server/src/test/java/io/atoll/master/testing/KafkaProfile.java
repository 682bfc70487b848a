package io.atoll.master.testing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/** The master with Kafka on: a {@link KafkaBroker} for the test class, short send bounds. */
public class KafkaProfile implements QuarkusTestProfile {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(KafkaBroker.class));
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("atoll.master.events.kafka.send-timeout", "10s");
    }
}
