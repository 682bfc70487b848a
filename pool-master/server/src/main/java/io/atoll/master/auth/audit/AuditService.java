package io.atoll.master.auth.audit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import jakarta.transaction.Transactional.TxType;
import java.util.List;

/** Writes and pages the audit log. A record is written in its own transaction, after the request's own has ended. */
@ApplicationScoped
public class AuditService {

    @Inject
    EntityManager em;

    /** Writes the record and answers it with its id. */
    @Transactional(TxType.REQUIRES_NEW)
    public AuditRecord record(AuditRecord record) {
        AuditEntity entity = new AuditEntity(record);
        em.persist(entity);
        em.flush();
        return entity.view();
    }

    /** The records with an id above {@code after}, oldest first, at most {@code limit}. */
    @Transactional
    public List<AuditRecord> after(long after, int limit) {
        return em.createQuery("select a from AuditEntity a where a.id > :after order by a.id", AuditEntity.class)
                .setParameter("after", after).setMaxResults(limit).getResultStream().map(AuditEntity::view).toList();
    }
}
