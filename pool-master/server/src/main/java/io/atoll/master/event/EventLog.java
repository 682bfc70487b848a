package io.atoll.master.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.Transactional;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes events in the transaction of the change they describe, and publishes them on the
 * {@link EventBus} once that transaction has committed.
 *
 * <p><b>Why a clock row.</b> Readers follow events by id ({@code from=TOKEN}). With ids from a
 * sequence, two transactions could commit out of id order, and a reader that saw id 11 would
 * never see id 10 committed a moment later. Instead each writer locks the one
 * {@code event_clock} row and takes the next ids from it; the lock is held until commit, so
 * events become visible exactly in id order. This serializes the commits of writers (as XAPI's
 * database lock does), which is cheap beside an agent call.
 *
 * <p><b>Last write of a transaction.</b> {@link #record} flushes the transaction's other changes
 * first, so the clock is always the last lock a transaction takes: no lock-order deadlock between
 * writers. Services call it after their changes.
 */
@ApplicationScoped
public class EventLog {
    private static final Object PENDING = new Object();

    @Inject
    EntityManager em;

    @Inject
    io.atoll.master.ha.MasterRole role;

    @Inject
    ObjectMapper json;

    @Inject
    TransactionSynchronizationRegistry transactions;

    @Inject
    EventBus bus;

    /** Records one change; {@code snapshot} is the API record of the object (before it, for a delete). */
    @Transactional(Transactional.TxType.MANDATORY)
    public void record(ObjectClass objectClass, EventOperation operation, UUID ref, Object snapshot) {
        // The snapshot is written before the clock is locked: nothing but the id is taken under the lock.
        JsonNode tree = json.valueToTree(snapshot);
        String text;
        try {
            text = json.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the snapshot of " + objectClass.wireName() + " " + ref, e);
        }
        em.flush();
        fence();
        EventClockEntity clock = em.find(EventClockEntity.class, EventClockEntity.ROW, LockModeType.PESSIMISTIC_WRITE);
        if (clock == null) {
            throw new IllegalStateException("the event_clock row is missing: the database was not migrated by Flyway");
        }
        Instant now = Instant.now();
        EventEntity row = new EventEntity(clock.next(), objectClass, operation, ref, text, now);
        em.persist(row);
        pending().add(new Event(row.getId(), objectClass, operation, ref, now, tree));
    }

    /**
     * Every change the master writes is an event, so its transaction comes here: with several
     * master instances, the transaction is fenced by the lease (docs/ha.md, "Epoch fencing") — it
     * holds the lease row until it commits, and is refused when another instance holds a newer
     * epoch. (Before the first election, an instance's bootstrap writes — the pool row of an empty
     * database — are not fenced: they happen once, on an empty database.)
     */
    private void fence() {
        if (!role.clustered() || role.epoch() == 0) {
            return;
        }
        io.atoll.ha.FencingToken token = new io.atoll.ha.FencingToken(role.epoch(), role.instance());
        try {
            em.unwrap(org.hibernate.Session.class).doWork(c -> io.atoll.ha.MasterLease.checkFence(c, token));
        } catch (RuntimeException e) {
            Throwable cause = e;
            while (cause != null && !(cause instanceof io.atoll.ha.FencedException)) {
                cause = cause.getCause();
            }
            if (cause != null) {
                throw new io.atoll.master.error.MasterException(io.atoll.master.error.MasterErrorCode.NOT_ACTIVE_MASTER, "master " + role.instance(),
                        "master instance " + role.instance() + " no longer holds the master lease (epoch " + token.epoch()
                                + "): nothing was changed; repeat the request, it reaches the active master");
            }
            throw e;
        }
    }

    /** The id of the newest committed event (0 when there is none). */
    @Transactional
    public long lastId() {
        EventClockEntity clock = em.find(EventClockEntity.class, EventClockEntity.ROW);
        return clock == null ? 0 : clock.lastId();
    }

    @SuppressWarnings("unchecked")
    private List<Event> pending() {
        List<Event> events = (List<Event>) transactions.getResource(PENDING);
        if (events == null) {
            List<Event> created = new ArrayList<>();
            transactions.putResource(PENDING, created);
            transactions.registerInterposedSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    if (status == Status.STATUS_COMMITTED) {
                        bus.publish(created);
                    }
                }
            });
            events = created;
        }
        return events;
    }
}
