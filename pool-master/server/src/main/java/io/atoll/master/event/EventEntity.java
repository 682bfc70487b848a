package io.atoll.master.event;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A row of the event log; ids are assigned by {@link EventLog} from {@link EventClockEntity}, never by a sequence. */
@Entity
@Table(name = "event")
public class EventEntity {
    @Id
    private long id;
    private String objectClass;
    private String operation;
    private UUID objectUuid;
    /** JSON, in a varchar without a length (H2 and PostgreSQL alike). */
    private String snapshot;
    private Instant createdAt;

    protected EventEntity() {
    }

    EventEntity(long id, ObjectClass objectClass, EventOperation operation, UUID objectUuid, String snapshot, Instant createdAt) {
        this.id = id;
        this.objectClass = objectClass.wireName();
        this.operation = operation.wireName();
        this.objectUuid = objectUuid;
        this.snapshot = snapshot;
        this.createdAt = createdAt;
    }

    public long getId() {
        return id;
    }

    public ObjectClass getObjectClass() {
        return ObjectClass.fromWire(objectClass);
    }

    public EventOperation getOperation() {
        return EventOperation.valueOf(operation.toUpperCase(java.util.Locale.ROOT));
    }

    public UUID getObjectUuid() {
        return objectUuid;
    }

    public String getSnapshot() {
        return snapshot;
    }

    public Instant getCreatedAt() {
        return createdAt;
    }
}
