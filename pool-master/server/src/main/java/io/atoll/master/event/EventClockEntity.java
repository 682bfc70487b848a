package io.atoll.master.event;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The single row holding the last event id. Writers lock it to number their events, which is what
 * makes ids visible in order (see {@link EventLog}).
 */
@Entity
@Table(name = "event_clock")
public class EventClockEntity {
    static final int ROW = 1;

    @Id
    private int id;
    private long lastId;

    protected EventClockEntity() {
    }

    long next() {
        return ++lastId;
    }

    long lastId() {
        return lastId;
    }
}
