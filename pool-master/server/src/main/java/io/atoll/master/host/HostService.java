package io.atoll.master.host;

import io.atoll.master.MasterConfig;
import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.node.api.HostFacts;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.transaction.Transactional.TxType;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/** Joins, ejects and answers hosts, and records what each poll of an agent found. */
@ApplicationScoped
public class HostService {
    private static final Logger LOG = Logger.getLogger(HostService.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    AgentClient agents;

    @Inject
    MasterConfig config;

    @Inject
    io.atoll.master.storage.StorageService storage;

    /**
     * Joins the host whose agent answers at the request's URL: asks the agent for its facts
     * (outside any transaction: a slow agent holds no lock), then records the host.
     */
    public Host join(HostJoinRequest request) {
        URI url = request.resolveAgentUrl(config.agentPort());
        QuarkusTransaction.requiringNew().run(() -> refuseDuplicate(url));
        HostFacts facts = agents.facts(new AgentEndpoint(null, url, request.agentToken()));
        return QuarkusTransaction.requiringNew().call(() -> {
            refuseDuplicate(url);
            HostEntity host = new HostEntity(url, request.agentToken(), facts);
            em.persist(host);
            Host view = host.view();
            events.record(ObjectClass.HOST, EventOperation.ADD, host.getUuid(), view);
            LOG.infof("%s: joined from %s: %d CPUs, %d MiB, %d MiB free for VMs, accelerator %s", host.label(), url,
                    facts.cpuCount(), facts.memoryTotalBytes() >> 20, facts.memoryFreeForVmsBytes() >> 20, view.accelerator());
            return view;
        });
    }

    private void refuseDuplicate(URI url) {
        List<UUID> same = em.createQuery("select h.uuid from HostEntity h where h.agentUrl = :url", UUID.class)
                .setParameter("url", url.toString()).getResultList();
        if (!same.isEmpty()) {
            throw new MasterException(MasterErrorCode.HOST_ALREADY_JOINED, "host " + same.get(0), "the agent at " + url
                    + " is already in the pool as host " + same.get(0));
        }
    }

    @Transactional
    public List<Host> list() {
        return em.createQuery("select h from HostEntity h order by h.name, h.uuid", HostEntity.class).getResultList().stream()
                .map(HostEntity::view).toList();
    }

    @Transactional
    public Host get(UUID uuid) {
        return find(uuid, LockModeType.NONE).view();
    }

    /**
     * Removes a host from the pool. Refused while a VM is resident on it (running, paused,
     * suspended, crashed) or being started there; the host row is locked, as placement locks it,
     * so a start cannot slip in between the check and the delete.
     */
    @Transactional
    public void eject(UUID uuid) {
        HostEntity host = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        List<String> vms = em.createQuery("select v.name from VmEntity v where v.residentOn = :host or v.scheduledOn = :host order by v.name",
                String.class).setParameter("host", host).getResultList();
        if (!vms.isEmpty()) {
            throw new MasterException(MasterErrorCode.HOST_HAS_RESIDENT_VMS, "host " + uuid, host.label() + " still holds "
                    + vms.size() + " VM(s) (" + String.join(", ", vms.subList(0, Math.min(10, vms.size())))
                    + "): shut them down or move them first");
        }
        Host last = host.view();
        storage.forgetLocalRepositories(host);
        em.createQuery("delete from StorageAttachmentEntity a where a.host = :host").setParameter("host", host).executeUpdate();
        em.remove(host);
        events.record(ObjectClass.HOST, EventOperation.DEL, uuid, last);
        LOG.infof("%s: ejected from the pool", host.label());
    }

    /** Allows or stops placing new VMs on the host; VMs already there keep running. */
    @Transactional
    public Host setEnabled(UUID uuid, boolean enabled) {
        HostEntity host = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        if (host.isEnabled() != enabled) {
            host.setEnabled(enabled);
            events.record(ObjectClass.HOST, EventOperation.MOD, uuid, host.view());
            LOG.infof("%s: %s", host.label(), enabled ? "enabled" : "disabled: no new VMs are placed on it");
        }
        return host.view();
    }

    /** The agents to poll. */
    @Transactional
    public List<AgentEndpoint> agents() {
        return em.createQuery("select h from HostEntity h", HostEntity.class).getResultList().stream().map(HostEntity::agent).toList();
    }

    /** A poll's answer; the event is written only when something worth one changed. */
    @Transactional(TxType.REQUIRES_NEW)
    public void recordFacts(UUID uuid, HostFacts facts) {
        HostEntity host = em.find(HostEntity.class, uuid, LockModeType.PESSIMISTIC_WRITE);
        if (host == null) {
            return; // ejected while the poll ran
        }
        HostHealth before = host.getHealth();
        if (host.applyFacts(facts, Instant.now())) {
            events.record(ObjectClass.HOST, EventOperation.MOD, uuid, host.view());
            if (before != HostHealth.ONLINE) {
                LOG.infof("%s: ONLINE again", host.label());
            }
        }
    }

    /** A poll without answer: the host is UNREACHABLE from now until its agent answers again. */
    @Transactional(TxType.REQUIRES_NEW)
    public void recordUnreachable(UUID uuid, String reason) {
        HostEntity host = em.find(HostEntity.class, uuid, LockModeType.PESSIMISTIC_WRITE);
        if (host != null && host.unreachable(reason)) {
            events.record(ObjectClass.HOST, EventOperation.MOD, uuid, host.view());
            LOG.warnf("%s: UNREACHABLE: %s", host.label(), reason);
        }
    }

    private HostEntity find(UUID uuid, LockModeType lock) {
        HostEntity host = em.find(HostEntity.class, uuid, lock);
        if (host == null) {
            throw new MasterException(MasterErrorCode.HOST_NOT_FOUND, "host " + uuid, "host " + uuid + " is not in the pool");
        }
        return host;
    }
}
