package io.atoll.master.ha;

import io.atoll.master.event.ObjectClass;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

@Entity
@Table(name = "alert")
public class AlertEntity {
    @Id
    private UUID uuid;
    private Instant createdAt;
    private String severity;
    private String code;
    @Enumerated(EnumType.STRING)
    private ObjectClass objectClass;
    private UUID objectUuid;
    private String message;

    protected AlertEntity() {
    }

    AlertEntity(String severity, String code, ObjectClass objectClass, UUID objectUuid, String message) {
        this.uuid = UUID.randomUUID();
        this.createdAt = Instant.now();
        this.severity = severity;
        this.code = code;
        this.objectClass = objectClass;
        this.objectUuid = objectUuid;
        this.message = message.length() > 4000 ? message.substring(0, 3997) + "..." : message;
    }

    Alert view() {
        return new Alert(uuid, createdAt, severity, code, objectClass, objectUuid, message);
    }
}
