package io.atoll.master.event;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** How events leave the master ({@code atoll.master.events.*}): the SSE stream, and Kafka when configured. */
@ConfigMapping(prefix = "atoll.master.events")
public interface EventsConfig {

    /**
     * How often an idle Server-Sent Events stream sends a comment line. It keeps proxies from
     * closing the connection, and it is how the master notices a client that went away.
     */
    @WithDefault("15s")
    Duration streamHeartbeat();

    /** How long one write to a stream may wait for a slow client before the stream is closed (the client reconnects with Last-Event-ID). */
    @WithDefault("30s")
    Duration streamSendTimeout();

    /** Kafka, for other processes and integrators. Unset bootstrap servers: the in-process bus, the all-in-one default. */
    Kafka kafka();

    interface Kafka {
        /**
         * The brokers ({@code host:port,…}). Set: events and audit records are also published to
         * Kafka ({@link KafkaEventBus}); unset: {@link InProcessEventBus} and a no-op {@link AuditSink}.
         */
        Optional<String> bootstrapServers();

        /** Every add/mod/del: key = the object's uuid, value = the event as {@code GET /api/v1/events} shows it. */
        @WithDefault("atoll.events")
        String eventsTopic();

        /** The audit trail: key and value as given to {@link AuditSink#publish}. */
        @WithDefault("atoll.audit")
        String auditTopic();

        /** The producer's {@code client.id}. */
        @WithDefault("atoll-master")
        String clientId();

        /**
         * How long one send may take, retries included ({@code delivery.timeout.ms}), before it
         * counts as failed; events are then sent again from the database, audit records dropped.
         */
        @WithDefault("30s")
        Duration sendTimeout();

        /** Audit records waiting for the publisher; past this, new ones are dropped and counted. */
        @WithDefault("10000")
        int auditQueue();
    }
}
