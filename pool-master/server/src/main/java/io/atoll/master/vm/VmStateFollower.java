package io.atoll.master.vm;

import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Follows what a host's agent reports about the VMs resident on it, between operations: a guest
 * that powered itself off becomes HALTED, a QEMU that died becomes CRASHED. The master's own
 * operations win: a VM with an operation in progress, or changed since the poll began (its
 * version moved), is left alone. VMs the host does not report, and VMs the host runs that the
 * pool does not place there, are the reconciliation loop's (a later slice).
 */
@ApplicationScoped
public class VmStateFollower {
    private static final Logger LOG = Logger.getLogger(VmStateFollower.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    VmOperations operations;

    /** The versions of the VMs resident on each host (one query for the pool), read before the agents are asked. */
    @Transactional
    public Map<UUID, Map<UUID, Long>> versionsByHost() {
        Map<UUID, Map<UUID, Long>> versions = new HashMap<>();
        for (Object[] row : em.createQuery("select v.residentOn.uuid, v.uuid, v.version from VmEntity v where v.residentOn is not null",
                Object[].class).getResultList()) {
            versions.computeIfAbsent((UUID) row[0], h -> new HashMap<>()).put((UUID) row[1], (Long) row[2]);
        }
        return versions;
    }

    /** Takes the agent's report; VMs it reports HALTED are then removed from the host, as after a shutdown. */
    public void follow(AgentEndpoint agent, Map<UUID, Long> versionsBefore, List<VmInfo> reported) {
        apply(agent.host(), versionsBefore, reported).forEach(vm -> operations.forget(agent, vm));
    }

    @Transactional
    List<UUID> apply(UUID host, Map<UUID, Long> versionsBefore, List<VmInfo> reported) {
        Map<UUID, VmInfo> byUuid = new HashMap<>();
        reported.forEach(info -> byUuid.put(info.uuid(), info));
        List<VmEntity> changed = new ArrayList<>();
        List<UUID> halted = new ArrayList<>();
        // Lock and change every VM first, record the events last: the event clock is the last lock taken.
        for (Map.Entry<UUID, Long> before : versionsBefore.entrySet()) {
            VmInfo info = byUuid.get(before.getKey());
            if (info == null) {
                continue;
            }
            VmEntity vm = em.find(VmEntity.class, before.getKey(), LockModeType.PESSIMISTIC_WRITE);
            if (vm == null || vm.getVersion() != before.getValue() || vm.getCurrentOperation() != null
                    || vm.getResidentOn() == null || !vm.getResidentOn().getUuid().equals(host) || vm.getPowerState() == info.powerState()) {
                continue;
            }
            LOG.infof("%s: %s -> %s as %s reports%s", vm.label(), vm.getPowerState(), info.powerState(), vm.getResidentOn().label(),
                    info.crashReason() == null ? "" : " (" + info.crashReason() + ")");
            vm.placed(vm.getResidentOn(), info.powerState());
            changed.add(vm);
            if (info.powerState() == VmPowerState.HALTED) {
                halted.add(vm.getUuid());
            }
        }
        for (VmEntity vm : changed) {
            events.record(ObjectClass.VM, EventOperation.MOD, vm.getUuid(), vm.view());
        }
        return halted;
    }
}
