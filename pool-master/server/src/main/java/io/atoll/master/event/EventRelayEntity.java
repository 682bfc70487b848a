package io.atoll.master.event;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A relay's position in the event table (see {@link RelayPositions}). */
@Entity
@Table(name = "event_relay")
public class EventRelayEntity {
    @Id
    private String name;
    private long lastId;

    protected EventRelayEntity() {
    }

    EventRelayEntity(String name, long lastId) {
        this.name = name;
        this.lastId = lastId;
    }

    long lastId() {
        return lastId;
    }

    void advance(long id) {
        if (id > lastId) {
            lastId = id;
        }
    }
}
