package io.atoll.master.host;

import io.atoll.master.MasterConfig;
import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.pool.JoinTokenService;
import io.atoll.node.api.HostFacts;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceException;
import jakarta.transaction.Transactional;
import jakarta.transaction.Transactional.TxType;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    @Inject
    JoinTokenService joinTokens;

    /**
     * An administrator's join: the host whose agent answers at the request's URL (see
     * {@link #join(URI, String, UUID)}).
     */
    public Host join(HostJoinRequest request) {
        return join(request.resolveAgentUrl(config.agentPort()), request.agentToken(), null);
    }

    /**
     * A host's own join with a join token ({@code POST /api/v1/hosts/join}, anonymous): the token
     * is checked before the agent is called (an unauthenticated caller must not make the master
     * call any address it likes), and one of its uses is taken in the transaction that records the
     * host — a join that fails takes none, and of joins racing for the last use exactly one wins.
     *
     * @param joinToken the id of the token presented ({@link JoinTokenService#identify})
     */
    public Host join(HostTokenJoinRequest request, UUID joinToken) {
        joinTokens.checkUsable(joinToken);
        return join(request.resolveAgentUrl(), request.agentToken(), joinToken);
    }

    /**
     * Asks the agent for its facts (outside any transaction: a slow agent holds no lock), then
     * records the host under the uuid the agent reports, so a host keeps its identity. The same
     * URL, or the same host under another URL, is refused with {@code HOST_ALREADY_JOINED}.
     */
    private Host join(URI url, String agentToken, UUID joinToken) {
        QuarkusTransaction.requiringNew().run(() -> refuseDuplicate(url, null));
        HostFacts facts = agents.facts(new AgentEndpoint(null, url, agentToken));
        return QuarkusTransaction.requiringNew().call(() -> {
            // The token's row lock comes first and is held to the commit: joins with one token serialize here.
            int usesLeft = joinToken == null ? -1 : joinTokens.takeUse(joinToken);
            refuseDuplicate(url, facts.hostUuid());
            HostEntity host = new HostEntity(url, agentToken, facts);
            em.persist(host);
            try {
                em.flush();
            } catch (PersistenceException e) {
                // An administrator's join of the same host committed between the check and here.
                throw new MasterException(MasterErrorCode.HOST_ALREADY_JOINED, "host " + host.getUuid(), "host " + host.getUuid()
                        + " (the agent at " + url + ") was joined by another request meanwhile", e);
            }
            Host view = host.view();
            events.record(ObjectClass.HOST, EventOperation.ADD, host.getUuid(), view);
            LOG.infof("%s: joined from %s%s: %d CPUs, %d MiB, %d MiB free for VMs, accelerator %s", host.label(), url,
                    joinToken == null ? "" : " with join token " + joinToken + " (" + usesLeft + " use(s) left)",
                    facts.cpuCount(), facts.memoryTotalBytes() >> 20, facts.memoryFreeForVmsBytes() >> 20, view.accelerator());
            if (facts.hostUuid() == null) {
                LOG.warnf("%s: its agent reports no host uuid (an older agent): the pool gave it one, and cannot tell it from "
                        + "another machine taking its address", host.label());
            }
            return view;
        });
    }

    private void refuseDuplicate(URI url, UUID hostUuid) {
        List<HostEntity> same = em.createQuery("select h from HostEntity h where h.agentUrl = :url or h.uuid = :uuid or h.agentHostUuid = :uuid",
                HostEntity.class).setParameter("url", url.toString()).setParameter("uuid", hostUuid).getResultList();
        if (same.isEmpty()) {
            return;
        }
        HostEntity host = same.get(0);
        String message = url.toString().equals(host.agent().url().toString())
                ? "the agent at " + url + " is already in the pool as host " + host.getUuid()
                : "host " + hostUuid + " (its agent answers at " + url + ") is already in the pool, joined from " + host.agent().url()
                        + ": eject it first if it moved (atoll host eject " + host.getUuid() + ")";
        throw new MasterException(MasterErrorCode.HOST_ALREADY_JOINED, "host " + host.getUuid(), message);
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

    /**
     * Sets (or with {@code null} clears) the address the host receives live migrations on: its
     * address on the pool's migration network, so that migration traffic stays off the management
     * network.
     */
    @Transactional
    public Host setMigrationAddress(UUID uuid, String address) {
        if (address != null && !address.matches("[0-9A-Za-z.:-]{1,64}")) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, "host " + uuid, "migration address '" + address
                    + "' is not an IP address or host name");
        }
        HostEntity host = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        host.setMigrationAddress(address);
        Host view = host.view();
        events.record(ObjectClass.HOST, EventOperation.MOD, uuid, view);
        LOG.infof("%s: receives live migrations on %s", host.label(), address == null ? "its management address" : address);
        return view;
    }

    /** Where the host receives live migrations. */
    @Transactional
    public String migrationListenAddress(UUID uuid) {
        return find(uuid, LockModeType.NONE).migrationListenAddress();
    }

    /** The agents to poll. */
    @Transactional
    public List<AgentEndpoint> agents() {
        return em.createQuery("select h from HostEntity h", HostEntity.class).getResultList().stream().map(HostEntity::agent).toList();
    }

    /**
     * A poll's answer; the event is written only when something worth one changed. Answers whether
     * the answer was this host's: an agent that reports another host's uuid (another machine took
     * the address) makes the host UNREACHABLE, and its VMs must not be followed from that answer.
     */
    @Transactional(TxType.REQUIRES_NEW)
    public boolean recordFacts(UUID uuid, HostFacts facts) {
        return record(Map.of(uuid, facts)).contains(uuid);
    }

    /**
     * The answers of a poll pass for several hosts, in one transaction (so the pass takes the event
     * clock once per batch, not once per host); answers the hosts whose answer was their own.
     */
    @Transactional(TxType.REQUIRES_NEW)
    public Set<UUID> recordFacts(Map<UUID, HostFacts> answers) {
        return record(answers);
    }

    /**
     * Most polls change nothing: they are compared with rows read without a lock and write nothing.
     * Only hosts with something to write are locked, and only those no operation holds now (skip
     * locked): a start reserving memory on a host changes its figure anyway, and the next poll writes
     * what is still true then — a pass never queues behind the pool's operations.
     */
    private Set<UUID> record(Map<UUID, HostFacts> answers) {
        Instant now = Instant.now();
        Set<UUID> own = new HashSet<>();
        Map<UUID, Boolean> ownIfBusy = new HashMap<>();
        List<UUID> toWrite = new ArrayList<>();
        for (HostEntity seen : em.createQuery("select h from HostEntity h where h.uuid in :ids", HostEntity.class)
                .setParameter("ids", answers.keySet()).getResultList()) {
            HostFacts facts = answers.get(seen.getUuid());
            if (seen.pollChangesNothing(facts, now)) {
                own.add(seen.getUuid());
            } else {
                toWrite.add(seen.getUuid());
                ownIfBusy.put(seen.getUuid(), seen.getAgentHostUuid() != null && seen.identityMismatch(facts) == null);
            }
        }
        if (toWrite.isEmpty()) {
            return own;
        }
        em.clear(); // the rows are read again, fresh, under their locks
        Set<UUID> written = new HashSet<>();
        for (HostEntity host : em.createQuery("select h from HostEntity h where h.uuid in :ids order by h.uuid", HostEntity.class)
                .setParameter("ids", toWrite).setLockMode(LockModeType.PESSIMISTIC_WRITE)
                .setHint("jakarta.persistence.lock.timeout", SKIP_LOCKED).getResultList()) {
            written.add(host.getUuid());
            if (write(host, answers.get(host.getUuid()))) {
                own.add(host.getUuid());
            }
        }
        for (UUID busy : toWrite) {
            if (!written.contains(busy)) {
                LOG.debugf("host %s: busy, this poll's facts are not written", busy);
                if (ownIfBusy.get(busy)) {
                    own.add(busy);
                }
            }
        }
        return own;
    }

    /** The lock timeout that skips rows others hold ({@code FOR UPDATE SKIP LOCKED}; Hibernate's SKIP_LOCKED). */
    private static final int SKIP_LOCKED = -2;

    /** Writes one host's poll answer, its row locked; answers whether the answer was the host's own. */
    private boolean write(HostEntity host, HostFacts facts) {
        UUID uuid = host.getUuid();
        UUID knownAs = host.getAgentHostUuid();
        String mismatch = knownAs == null && facts.hostUuid() != null ? alreadyKnownAs(host, facts.hostUuid()) : null;
        if (mismatch == null) {
            mismatch = host.identityMismatch(facts);
        }
        if (mismatch != null) {
            if (host.unreachable(mismatch)) {
                events.record(ObjectClass.HOST, EventOperation.MOD, uuid, host.view());
                LOG.warnf("%s: UNREACHABLE: %s", host.label(), mismatch);
            }
            return false;
        }
        if (knownAs == null && host.getAgentHostUuid() != null) {
            LOG.infof("%s: its agent reports host uuid %s, kept as its identity from now on", host.label(), host.getAgentHostUuid());
        }
        HostHealth before = host.getHealth();
        if (host.applyFacts(facts, Instant.now())) {
            events.record(ObjectClass.HOST, EventOperation.MOD, uuid, host.view());
            if (before != HostHealth.ONLINE) {
                LOG.infof("%s: ONLINE again", host.label());
            }
        }
        return true;
    }

    /**
     * For a host joined before agents reported their uuid: the reason it cannot take the one its
     * agent reports now, because another host of the pool is that machine (it was joined twice, under
     * two addresses), or {@code null}.
     */
    private String alreadyKnownAs(HostEntity host, UUID reported) {
        List<HostEntity> other = em.createQuery("select h from HostEntity h where h.uuid <> :self and (h.uuid = :reported or h.agentHostUuid = :reported)",
                HostEntity.class).setParameter("self", host.getUuid()).setParameter("reported", reported).getResultList();
        return other.isEmpty() ? null : "the agent at " + host.agent().url() + " is host " + reported + ", which is in the pool already as "
                + other.get(0).label() + " (joined from " + other.get(0).agent().url() + "): eject this duplicate";
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
