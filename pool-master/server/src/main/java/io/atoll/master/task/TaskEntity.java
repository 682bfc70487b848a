package io.atoll.master.task;

import io.atoll.master.event.ObjectClass;
import io.atoll.master.event.ObjectRef;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A task row; see {@link Task} for the meaning of each field. */
@Entity
@Table(name = "task")
public class TaskEntity {
    @Id
    private UUID uuid;
    private String name;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private TaskStatus status;
    private double progress;
    private String objectClass;
    private UUID objectUuid;
    /** The task that started this one (a host evacuation for its migrations), or null. */
    private UUID parent;
    private Instant createdAt;
    private Instant startedAt;
    private Instant finishedAt;
    /** JSON, in a varchar without a length (H2 and PostgreSQL alike). */
    private String result;
    private String errorCode;
    @Column(length = 4000)
    private String errorMessage;
    @Version
    private long version;

    protected TaskEntity() {
    }

    TaskEntity(String name, ObjectRef object, UUID parent) {
        this.parent = parent;
        this.uuid = UUID.randomUUID();
        this.name = name;
        this.status = TaskStatus.PENDING;
        this.objectClass = object.objectClass().wireName();
        this.objectUuid = object.uuid();
        this.createdAt = Instant.now();
    }

    UUID getParent() {
        return parent;
    }

    void start() {
        status = TaskStatus.RUNNING;
        startedAt = Instant.now();
    }

    void progress(double value) {
        progress = Math.max(progress, Math.min(1, value));
    }

    void succeed(String resultJson) {
        status = TaskStatus.SUCCESS;
        progress = 1;
        result = resultJson;
        finishedAt = Instant.now();
    }

    void fail(String code, String message) {
        status = TaskStatus.FAILURE;
        errorCode = code;
        errorMessage = message.length() > 4000 ? message.substring(0, 3997) + "..." : message;
        finishedAt = Instant.now();
    }

    public UUID getUuid() {
        return uuid;
    }

    public String getName() {
        return name;
    }

    public TaskStatus getStatus() {
        return status;
    }

    public double getProgress() {
        return progress;
    }

    public ObjectRef getObject() {
        return new ObjectRef(ObjectClass.fromWire(objectClass), objectUuid);
    }

    public Instant getCreatedAt() {
        return createdAt;
    }

    public Instant getStartedAt() {
        return startedAt;
    }

    public Instant getFinishedAt() {
        return finishedAt;
    }

    public String getResult() {
        return result;
    }

    public String getErrorCode() {
        return errorCode;
    }

    public String getErrorMessage() {
        return errorMessage;
    }
}
