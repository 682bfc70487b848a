package io.atoll.master.event;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One change of a pool object, as clients receive it.
 *
 * @param id the event's token: ids grow by one per event, and a reader that has seen id N has seen
 *     every event up to N (see {@link EventLog})
 * @param objectClass the class of the object changed
 * @param operation {@code add}, {@code mod} or {@code del}
 * @param ref the object's uuid
 * @param timestamp when the change was recorded
 * @param snapshot the object as the API shows it after the change (before it, for {@code del})
 */
public record Event(long id, @JsonProperty("class") ObjectClass objectClass, EventOperation operation, UUID ref,
                    Instant timestamp, JsonNode snapshot) {
    public Event {
        if (id < 1) {
            throw new IllegalArgumentException("event id is " + id + ": ids start at 1");
        }
        Objects.requireNonNull(objectClass, "objectClass");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(timestamp, "timestamp");
    }
}
