package io.atoll.master.pool;

import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.List;
import org.jboss.logging.Logger;

/** Creates the pool at the first start on an empty database and answers it. */
@ApplicationScoped
public class PoolService {
    private static final Logger LOG = Logger.getLogger(PoolService.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Transactional
    void ensurePool(@Observes @Priority(5) StartupEvent start) {
        List<PoolEntity> pools = em.createQuery("select p from PoolEntity p", PoolEntity.class).getResultList();
        if (pools.isEmpty()) {
            PoolEntity pool = new PoolEntity("Atoll pool");
            em.persist(pool);
            events.record(ObjectClass.POOL, EventOperation.ADD, pool.getUuid(), pool.view());
            LOG.infof("pool %s: created on an empty database", pool.getUuid());
        } else {
            LOG.infof("pool %s: opened", pools.get(0).getUuid());
        }
    }

    @Transactional
    public Pool get() {
        return em.createQuery("select p from PoolEntity p", PoolEntity.class).getSingleResult().view();
    }
}
