package io.atoll.master.event;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;

/**
 * Chooses the {@link EventBus} and the {@link AuditSink} from the configuration at start-up (not
 * at build time, so one build serves both): with {@code atoll.master.events.kafka.bootstrap-servers}
 * set, one {@link KafkaEventBus} is both; without it, {@link InProcessEventBus} and
 * {@link AuditSink#NONE}.
 */
@ApplicationScoped
public class EventBuses {

    @Inject
    EventsConfig config;

    @Inject
    EventService events;

    @Inject
    EventLog log;

    @Inject
    ObjectMapper json;

    @Inject
    RelayPositions positions;

    private KafkaEventBus kafka;

    @Produces
    @ApplicationScoped
    EventBus eventBus() {
        return kafkaOn() ? kafka() : new InProcessEventBus();
    }

    @Produces
    @ApplicationScoped
    AuditSink auditSink() {
        return kafkaOn() ? kafka() : AuditSink.NONE;
    }

    private boolean kafkaOn() {
        return config.kafka().bootstrapServers().filter(s -> !s.isBlank()).isPresent();
    }

    private synchronized KafkaEventBus kafka() {
        if (kafka == null) {
            // Go on where the last run's broker acknowledged; the first time, from now on (not the whole history).
            String relay = "kafka:" + config.kafka().eventsTopic();
            long start = positions.get(relay).orElseGet(log::lastId);
            kafka = new KafkaEventBus(config.kafka(), events, json, start, id -> positions.advance(relay, id));
        }
        return kafka;
    }

    @PreDestroy
    synchronized void close() {
        if (kafka != null) {
            kafka.close();
        }
    }
}
