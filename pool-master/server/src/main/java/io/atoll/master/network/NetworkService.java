package io.atoll.master.network;

import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/** The pool's networks as records: create, read, destroy (refused while a VIF is on one). */
@ApplicationScoped
public class NetworkService {
    private static final Logger LOG = Logger.getLogger(NetworkService.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Transactional
    public Network create(NetworkCreateRequest request) {
        Long same = em.createQuery("select count(n) from NetworkEntity n where n.name = :name", Long.class)
                .setParameter("name", request.name()).getSingleResult();
        if (same > 0) {
            throw new MasterException(MasterErrorCode.NETWORK_NAME_TAKEN, null, "a network named '" + request.name()
                    + "' exists already: choose another name");
        }
        String bridge = request.bridge();
        if (bridge == null) {
            long n = em.createQuery("select count(n) from NetworkEntity n", Long.class).getSingleResult();
            do {
                bridge = "xapi" + n++;
            } while (bridgeTaken(bridge));
        } else if (bridgeTaken(bridge)) {
            throw new MasterException(MasterErrorCode.NETWORK_NAME_TAKEN, null, "bridge " + bridge + " already carries another network");
        }
        NetworkEntity network = new NetworkEntity(request.name(), bridge, request.mtu());
        em.persist(network);
        Network view = network.view();
        events.record(ObjectClass.NETWORK, EventOperation.ADD, network.getUuid(), view);
        LOG.infof("network %s (%s): created on bridge %s, MTU %d", network.getUuid(), network.getName(), bridge, network.getMtu());
        return view;
    }

    private boolean bridgeTaken(String bridge) {
        return em.createQuery("select count(n) from NetworkEntity n where n.bridge = :b", Long.class).setParameter("b", bridge)
                .getSingleResult() > 0;
    }

    @Transactional
    public List<Network> list() {
        return em.createQuery("select n from NetworkEntity n order by n.name", NetworkEntity.class).getResultList().stream()
                .map(NetworkEntity::view).toList();
    }

    @Transactional
    public Network get(UUID uuid) {
        return find(uuid, LockModeType.NONE).view();
    }

    @Transactional
    public void destroy(UUID uuid) {
        NetworkEntity network = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        List<String> users = em.createQuery("select distinct v.vm.name from VifEntity v where v.network = :n", String.class)
                .setParameter("n", network).getResultList();
        if (!users.isEmpty()) {
            throw new MasterException(MasterErrorCode.NETWORK_IN_USE, "network " + uuid, "network " + network.getName()
                    + " still has VIFs of " + String.join(", ", users) + ": remove them first");
        }
        Network last = network.view();
        em.remove(network);
        events.record(ObjectClass.NETWORK, EventOperation.DEL, uuid, last);
    }

    private NetworkEntity find(UUID uuid, LockModeType lock) {
        NetworkEntity n = em.find(NetworkEntity.class, uuid, lock);
        if (n == null) {
            throw new MasterException(MasterErrorCode.NETWORK_NOT_FOUND, "network " + uuid, "network " + uuid + " does not exist");
        }
        return n;
    }
}
