package io.atoll.master.event;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.OptionalLong;

/**
 * The last event id each relay's destination acknowledged ({@code event_relay}), so that a relay
 * goes on after a restart where it stopped instead of at the newest event. Each call is its own
 * short transaction, never the transaction of a change.
 */
@ApplicationScoped
public class RelayPositions {

    @Inject
    EntityManager em;

    /** The stored position of {@code relay}, empty before its first acknowledgement. */
    public OptionalLong get(String relay) {
        return QuarkusTransaction.requiringNew().call(() -> {
            EventRelayEntity row = em.find(EventRelayEntity.class, relay);
            return row == null ? OptionalLong.empty() : OptionalLong.of(row.lastId());
        });
    }

    /** Records that {@code relay}'s destination has every event up to {@code id} (positions only move forward). */
    public void advance(String relay, long id) {
        QuarkusTransaction.requiringNew().run(() -> {
            EventRelayEntity row = em.find(EventRelayEntity.class, relay, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
            if (row == null) {
                em.persist(new EventRelayEntity(relay, id));
            } else {
                row.advance(id);
            }
        });
    }
}
