package io.atoll.master.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.master.MasterConfig;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.List;

/** Reads the event log for {@code GET /api/v1/events}: XAPI's {@code event.from}, as a long poll. */
@ApplicationScoped
public class EventService {
    public static final int MAX_LIMIT = 10_000;

    @Inject
    EntityManager em;

    @Inject
    ObjectMapper json;

    @Inject
    EventLog log;

    @Inject
    EventWaiter waiter;

    @Inject
    MasterConfig config;

    /**
     * The events after {@code from}, waiting up to {@code timeout} for the first when there is
     * none yet. Without {@code from}, answers at once with no events and the current token: the
     * point from which to follow. No transaction is held while waiting.
     */
    public EventBatch from(Long from, Duration timeout, int limit) {
        if (timeout.isNegative() || timeout.compareTo(config.eventsMaxWait()) > 0) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "timeout is " + timeout.toSeconds()
                    + " s: give 0 to " + config.eventsMaxWait().toSeconds() + " seconds");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "limit is " + limit + ": give 1 to " + MAX_LIMIT);
        }
        long last = log.lastId();
        if (from == null) {
            return new EventBatch(List.of(), last);
        }
        checkToken(from, last);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Event> events = read(from, limit);
            if (!events.isEmpty()) {
                return new EventBatch(events, events.get(events.size() - 1).id());
            }
            if (System.nanoTime() >= deadline) {
                return new EventBatch(List.of(), from);
            }
            try {
                waiter.awaitAfter(from, deadline);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new EventBatch(List.of(), from);
            }
        }
    }

    /**
     * Where a follower starts: {@code from} when this pool gave it out, the newest event's id when
     * {@code from} is null. Refuses a token ahead of the newest event (another database) rather
     * than letting the follower wait for ids it will never get.
     */
    long startingPoint(Long from) {
        long last = log.lastId();
        if (from == null) {
            return last;
        }
        checkToken(from, last);
        return from;
    }

    private static void checkToken(long from, long last) {
        if (from < 0 || from > last) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "token " + from + " is not one this pool gave out (the newest event is "
                    + last + "): read the objects again and follow from the token GET /api/v1/events answers without 'from'");
        }
    }

    /** Up to {@code limit} committed events with an id above {@code after}, in id order; its own short transaction. */
    List<Event> read(long after, int limit) {
        return QuarkusTransaction.requiringNew().call(() -> em
                .createQuery("select e from EventEntity e where e.id > :after order by e.id", EventEntity.class)
                .setParameter("after", after).setMaxResults(limit).getResultList().stream()
                .map(this::toEvent).toList());
    }

    private Event toEvent(EventEntity row) {
        try {
            return new Event(row.getId(), row.getObjectClass(), row.getOperation(), row.getObjectUuid(), row.getCreatedAt(),
                    json.readTree(row.getSnapshot()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("event " + row.getId() + ": unreadable snapshot", e);
        }
    }
}
