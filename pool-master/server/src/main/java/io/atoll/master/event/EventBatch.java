package io.atoll.master.event;

import java.util.List;

/**
 * The answer of {@code GET /api/v1/events}.
 *
 * @param events the events after the token asked for, in id order (may be empty after a timeout)
 * @param token what to pass as {@code from} next time: the id of the last event here, or the
 *     token asked for when there was none
 */
public record EventBatch(List<Event> events, long token) {
    public EventBatch {
        events = List.copyOf(events);
        if (token < 0) {
            throw new IllegalArgumentException("token is " + token + ": tokens are 0 or more");
        }
    }
}
