package io.atoll.master.event;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.master.ha.MasterActivated;
import io.atoll.master.ha.MasterRole;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
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

    @Inject
    MasterRole role;

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

    private String relay() {
        return "kafka:" + config.kafka().eventsTopic();
    }

    private synchronized KafkaEventBus kafka() {
        if (kafka == null) {
            String relay = relay();
            kafka = new KafkaEventBus(config.kafka(), events, json, id -> positions.advance(relay, id));
        }
        return kafka;
    }

    /**
     * Only the active master relays events to Kafka: it goes on where the broker last acknowledged
     * (stored by whichever instance relayed last); the very first time, from the newest event on
     * (not the whole history).
     */
    void activated(@Observes @Priority(40) MasterActivated activated) {
        if (!kafkaOn()) {
            return;
        }
        long newest = QuarkusTransaction.requiringNew().call(log::lastId);
        long start = positions.get(relay()).orElse(newest);
        kafka().activate(start, newest);
    }

    @PostConstruct
    void followRole() {
        role.onDeactivated(reason -> {
            KafkaEventBus bus;
            synchronized (this) {
                bus = kafka;
            }
            if (bus != null) {
                bus.deactivate();
            }
        });
    }

    @PreDestroy
    synchronized void close() {
        if (kafka != null) {
            kafka.close();
        }
    }
}
