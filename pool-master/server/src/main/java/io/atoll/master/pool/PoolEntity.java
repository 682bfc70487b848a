package io.atoll.master.pool;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;

/** The pool: exactly one row, created at the master's first start. */
@Entity
@Table(name = "pool")
public class PoolEntity {
    @Id
    private UUID uuid;
    private String name;
    private String description;
    private Instant createdAt;
    @Version
    private long version;

    protected PoolEntity() {
    }

    PoolEntity(String name) {
        this.uuid = UUID.randomUUID();
        this.name = name;
        this.description = "";
        this.createdAt = Instant.now();
    }

    Pool view() {
        return new Pool(uuid, name, description, createdAt);
    }

    public UUID getUuid() {
        return uuid;
    }
}
