package io.atoll.master.event;

/**
 * Where audit records go besides the database: the {@code atoll.audit} Kafka topic when Kafka is
 * configured, nowhere otherwise (the all-in-one default). The audit table stays the record; this
 * is for integrators (a SIEM, another process).
 *
 * <p>Call it after the transaction that wrote the audit row has committed, from any thread. It
 * never blocks and never throws: the record is queued and sent by a background thread; a full
 * queue or a broker that does not take it is logged and counted, never the caller's failure.
 */
public interface AuditSink {

    /**
     * Publishes one audit record.
     *
     * @param key the Kafka record key, e.g. the audit record's uuid or the user's name (records
     *     with one key keep their order)
     * @param record the record, written as JSON with the API's {@code ObjectMapper} (a Java record
     *     of the audit package, say)
     */
    void publish(String key, Object record);

    /** The sink of a master without Kafka. */
    AuditSink NONE = (key, record) -> {
    };
}
