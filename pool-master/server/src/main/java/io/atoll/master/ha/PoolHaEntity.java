package io.atoll.master.ha;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;

/** The pool's HA settings: one row. */
@Entity
@Table(name = "pool_ha")
public class PoolHaEntity {
    @Id
    private int id;
    private boolean enabled;
    private UUID statefileSr;
    private int hostFailuresToTolerate;
    private Instant changedAt;
    @Version
    private long version;

    protected PoolHaEntity() {
    }

    void set(boolean enabled, UUID statefileSr, int hostFailuresToTolerate) {
        this.enabled = enabled;
        this.statefileSr = statefileSr;
        this.hostFailuresToTolerate = hostFailuresToTolerate;
        this.changedAt = Instant.now();
    }

    public boolean isEnabled() {
        return enabled;
    }

    public UUID getStatefileSr() {
        return statefileSr;
    }

    public int getHostFailuresToTolerate() {
        return hostFailuresToTolerate;
    }

    public Instant getChangedAt() {
        return changedAt;
    }
}
