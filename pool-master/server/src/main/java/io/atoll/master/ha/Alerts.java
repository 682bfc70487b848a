package io.atoll.master.ha;

import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/** Raises alerts (a row and an event of class {@code alert}, and a log line) and lists them. */
@ApplicationScoped
public class Alerts {
    private static final Logger LOG = Logger.getLogger(Alerts.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    /** Raises an alert in a transaction of its own: an HA decision is recorded even when what follows fails. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public Alert raise(String severity, String code, ObjectClass objectClass, UUID objectUuid, String message) {
        AlertEntity alert = new AlertEntity(severity, code, objectClass, objectUuid, message);
        em.persist(alert);
        Alert view = alert.view();
        events.record(ObjectClass.ALERT, EventOperation.ADD, view.uuid(), view);
        switch (severity) {
            case "error" -> LOG.errorf("alert %s: %s", code, message);
            case "warning" -> LOG.warnf("alert %s: %s", code, message);
            default -> LOG.infof("alert %s: %s", code, message);
        }
        return view;
    }

    /** The newest alerts first, at most {@code limit}, optionally only those since an instant. */
    @Transactional
    public List<Alert> list(Instant since, int limit) {
        var q = em.createQuery("select a from AlertEntity a" + (since == null ? "" : " where a.createdAt >= :since")
                + " order by a.createdAt desc", AlertEntity.class);
        if (since != null) {
            q.setParameter("since", since);
        }
        return q.setMaxResults(limit).getResultList().stream().map(AlertEntity::view).toList();
    }
}
