package io.atoll.master.vm;

import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.host.HostEntity;
import io.atoll.master.host.HostHealth;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Makes the pool database and the hosts agree, after every poll of the agents (HostMonitor), and
 * once at the master's start before its API opens. The rules are {@link ReconcileRules}; this
 * class reads the database before the agents are asked ({@link #snapshot()}), then writes each
 * change in a short transaction of its own, with the VM's {@code mod} event.
 *
 * <p>The master's own operations win: a VM with an operation in progress is left to its task,
 * and one whose version moved since the snapshot (an operation ended meanwhile) waits for the
 * next pass, whose snapshot will be newer than its host's answer. VMs the hosts run that the pool
 * does not know are counted on the host ({@code foreignVms}) and logged, never touched.
 */
@ApplicationScoped
public class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    VmOperations operations;

    /** Per host, the unknown VMs it reported last, so that each is logged when found and when gone, not at every poll. */
    private final Map<UUID, Set<UUID>> foreignSeen = new ConcurrentHashMap<>();

    /** The database as a pass starts: every VM's record and every host's health. */
    public record Snapshot(Map<UUID, ReconcileRules.Recorded> vms, Map<UUID, HostHealth> health, Map<UUID, Integer> foreignVms) {
        public Snapshot {
            vms = Map.copyOf(vms);
            health = Map.copyOf(health);
            foreignVms = Map.copyOf(foreignVms);
        }
    }

    /** What one host's agent answered: the VMs it has. */
    public record HostAnswer(AgentEndpoint agent, List<VmInfo> vms) {
        public HostAnswer {
            Objects.requireNonNull(agent, "agent");
            vms = List.copyOf(vms);
        }
    }

    /**
     * Reads every VM's record (one query for the pool) and the hosts' health, before any agent is
     * asked. Templates and snapshots never run: a host reporting one of their uuids is not followed
     * (nor counted as foreign — the pool knows the uuid).
     */
    @Transactional
    public Snapshot snapshot() {
        Map<UUID, ReconcileRules.Recorded> vms = new HashMap<>();
        for (Object[] row : em.createQuery("select v.uuid, v.name, v.version, v.powerState, r.uuid, s.uuid, v.currentOperation,"
                + " v.alsoRunningOn from VmEntity v left join v.residentOn r left join v.scheduledOn s where v.kind = :vm", Object[].class)
                .setParameter("vm", VmKind.VM).getResultList()) {
            vms.put((UUID) row[0], new ReconcileRules.Recorded((UUID) row[0], (String) row[1], (Long) row[2], (VmPowerState) row[3],
                    (UUID) row[4], (UUID) row[5], row[6] != null, (UUID) row[7]));
        }
        Map<UUID, HostHealth> health = new HashMap<>();
        Map<UUID, Integer> foreign = new HashMap<>();
        for (Object[] row : em.createQuery("select h.uuid, h.health, h.foreignVms from HostEntity h", Object[].class).getResultList()) {
            health.put((UUID) row[0], (HostHealth) row[1]);
            foreign.put((UUID) row[0], (Integer) row[2]);
        }
        return new Snapshot(vms, health, foreign);
    }

    /**
     * Applies a pass: {@code answers} are the hosts that answered (a host absent from them tells
     * nothing, and what the pool recorded on it stays); their health is already recorded.
     *
     * @param atStart the start-up pass: locks left by interrupted tasks (already failed) do not protect their VMs
     */
    public void reconcile(Snapshot before, List<HostAnswer> answers, boolean atStart) {
        Map<UUID, Map<UUID, VmInfo>> reports = new HashMap<>();
        Set<UUID> answered = new HashSet<>();
        Map<UUID, AgentEndpoint> agents = new HashMap<>();
        for (HostAnswer answer : answers) {
            UUID host = answer.agent().host();
            answered.add(host);
            agents.put(host, answer.agent());
            List<VmInfo> unknown = new ArrayList<>();
            for (VmInfo info : answer.vms()) {
                if (before.vms().containsKey(info.uuid())) {
                    reports.computeIfAbsent(info.uuid(), v -> new HashMap<>()).put(host, info);
                } else {
                    unknown.add(info);
                }
            }
            if (before.health().get(host) != HostHealth.ONLINE && before.health().containsKey(host)) {
                LOG.infof("host %s: answers again; reconciling the VMs it reports (%d) and those recorded on it", host, answer.vms().size());
            }
            if (unknown.isEmpty() && (foreignSeen.containsKey(host) ? foreignSeen.get(host).isEmpty()
                    : before.foreignVms().getOrDefault(host, 0) == 0)) {
                foreignSeen.putIfAbsent(host, Set.of());
                continue; // none now, none recorded: no transaction for nothing (at 1,000 hosts, 1,000 of them)
            }
            try {
                QuarkusTransaction.requiringNew().run(() -> recordForeign(host, unknown));
            } catch (RuntimeException e) {
                LOG.errorf(e, "host %s: recording the VMs the pool does not know failed", host);
            }
        }
        for (ReconcileRules.Recorded vm : before.vms().values()) {
            ReconcileRules.Outcome outcome = ReconcileRules.decide(vm, reports.getOrDefault(vm.uuid(), Map.of()), answered, atStart);
            if (outcome == null) {
                continue;
            }
            try {
                boolean applied = QuarkusTransaction.requiringNew().call(() -> apply(vm, outcome, atStart));
                if (applied && outcome.forgetOn() != null && agents.containsKey(outcome.forgetOn())) {
                    operations.forget(agents.get(outcome.forgetOn()), vm.uuid());
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "%s: recording what reconciliation found failed (%s)", vm.label(), outcome.found());
            }
        }
        try {
            QuarkusTransaction.requiringNew().run(() -> announceHealth(before.health()));
        } catch (RuntimeException e) {
            LOG.errorf(e, "announcing host health changes on their VMs failed");
        }
    }

    /** One VM's change, if its record is still the one the decision was made on. */
    private boolean apply(ReconcileRules.Recorded before, ReconcileRules.Outcome outcome, boolean atStart) {
        VmEntity vm = em.find(VmEntity.class, before.uuid(), LockModeType.PESSIMISTIC_WRITE);
        if (vm == null || vm.getVersion() != before.version() || (!atStart && vm.getCurrentOperation() != null)) {
            return false; // destroyed, changed by an operation meanwhile, or busy: the next pass looks again
        }
        String was = vm.getPowerState() + (vm.getResidentOn() == null ? "" : " on host " + vm.getResidentOn().getUuid());
        // Locked after the VM, as placement does: an eject of that host cannot slip in between.
        HostEntity host = outcome.host() == null ? null : em.find(HostEntity.class, outcome.host(), LockModeType.PESSIMISTIC_WRITE);
        if (outcome.host() != null && host == null) {
            return false; // ejected meanwhile
        }
        vm.placed(host, outcome.state());
        vm.alsoRunningOn(outcome.alsoRunningOn());
        String now = outcome.state() + (host == null ? "" : " on host " + host.getUuid())
                + (outcome.alsoRunningOn() == null ? "" : ", also running on host " + outcome.alsoRunningOn());
        LOG.logf(outcome.level(), "%s: reconciled %s -> %s: %s", vm.label(), was, now, outcome.found());
        events.record(ObjectClass.VM, EventOperation.MOD, vm.getUuid(), vm.view());
        return true;
    }

    /** Counts a host's unknown VMs on its row and logs each when it appears and when it is gone. */
    private void recordForeign(UUID hostUuid, List<VmInfo> candidates) {
        // A VM created after the snapshot is the pool's own, not foreign.
        Set<UUID> known = candidates.isEmpty() ? Set.of() : new HashSet<>(em.createQuery("select v.uuid from VmEntity v where v.uuid in :ids",
                UUID.class).setParameter("ids", candidates.stream().map(VmInfo::uuid).toList()).getResultList());
        Map<UUID, VmInfo> foreign = new HashMap<>();
        candidates.stream().filter(info -> !known.contains(info.uuid())).forEach(info -> foreign.put(info.uuid(), info));
        Set<UUID> before = foreignSeen.getOrDefault(hostUuid, Set.of());
        for (VmInfo info : foreign.values()) {
            if (!before.contains(info.uuid())) {
                LOG.infof("host %s: has vm %s (%s, %s) which the pool does not know: reported, left alone", hostUuid, info.uuid(),
                        info.name(), info.powerState());
            }
        }
        for (UUID gone : before) {
            if (!foreign.containsKey(gone)) {
                LOG.infof("host %s: no longer has vm %s, which the pool does not know", hostUuid, gone);
            }
        }
        foreignSeen.put(hostUuid, new TreeSet<>(foreign.keySet()));
        HostEntity host = em.find(HostEntity.class, hostUuid, LockModeType.PESSIMISTIC_WRITE);
        if (host != null && host.foreignVms(foreign.size())) {
            events.record(ObjectClass.HOST, EventOperation.MOD, hostUuid, host.view());
        }
    }

    /**
     * A VM shows its host's health ({@code residentOnHealth}): when a host's health changed in this
     * pass, each VM resident there gets a {@code mod} event, so that followers see that its state
     * is the last one known (UNREACHABLE) or confirmed again (ONLINE).
     */
    private void announceHealth(Map<UUID, HostHealth> before) {
        for (Object[] row : em.createQuery("select h.uuid, h.health from HostEntity h", Object[].class).getResultList()) {
            UUID host = (UUID) row[0];
            if (!before.containsKey(host) || before.get(host) == row[1]) {
                continue;
            }
            for (VmEntity vm : em.createQuery("select v from VmEntity v where v.residentOn.uuid = :host order by v.uuid", VmEntity.class)
                    .setParameter("host", host).getResultList()) {
                events.record(ObjectClass.VM, EventOperation.MOD, vm.getUuid(), vm.view());
            }
        }
    }
}
