package io.atoll.master.vm;

import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.ObjectRef;
import io.atoll.master.host.HostService;
import io.atoll.master.task.Task;
import io.atoll.master.task.TaskService;
import io.atoll.master.task.TaskStatus;
import io.atoll.master.task.TaskWorkers;
import io.atoll.node.api.VmPowerState;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Maintenance mode (XAPI's host.evacuate): the host is disabled, so placement puts nothing new
 * there, and each VM running or paused on it is live-migrated to another host, in batches of
 * migrations at once (each its own {@code vm.pool_migrate} task, its progress counted in the
 * evacuation's). Before anything changes, the rest of the pool must have room for them all. The
 * evacuation succeeds when none is left; a VM that could not move fails it, naming each and why,
 * and stays where it runs. Suspended and crashed VMs are not moved (their state is on this host):
 * they are named in the result for the administrator.
 */
@ApplicationScoped
public class HostEvacuation {
    private static final Logger LOG = Logger.getLogger(HostEvacuation.class);

    @Inject
    EntityManager em;

    @Inject
    HostService hosts;

    @Inject
    TaskService tasks;

    @Inject
    TaskWorkers workers;

    @Inject
    VmService vms;

    /** What an evacuation did: the VMs moved (uuid → new host) and those left on the host with why. */
    public record Outcome(Map<UUID, UUID> migrated, Map<UUID, String> left) {
    }

    /**
     * Checks that the rest of the pool has room for the host's running VMs (memory, and their
     * storage attached), refusing with NO_HOST_AVAILABLE naming the first VM that fits nowhere;
     * then disables the host and starts the evacuation: {@code batch} migrations at a time.
     */
    public Task request(UUID host, int batch) {
        if (batch < 1 || batch > 16) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, "host " + host, "batch is " + batch + ": give 1 to 16 migrations at a time");
        }
        QuarkusTransaction.requiringNew().run(() -> checkRoom(host));
        hosts.setEnabled(host, false);
        Task task = QuarkusTransaction.requiringNew().call(() -> tasks.create("host.evacuate", ObjectRef.host(host)));
        workers.submit(task.uuid(), () -> run(host, task.uuid(), batch));
        return task;
    }

    public Task request(UUID host) {
        return request(host, 2);
    }

    /** Places the VMs to move, largest first, on the other hosts' free memory as placement would; refuses when one fits nowhere. */
    private void checkRoom(UUID hostUuid) {
        io.atoll.master.host.HostEntity host = em.find(io.atoll.master.host.HostEntity.class, hostUuid);
        if (host == null) {
            throw new MasterException(MasterErrorCode.HOST_NOT_FOUND, "host " + hostUuid, "host " + hostUuid + " is not in the pool");
        }
        List<VmEntity> moving = em.createQuery("select v from VmEntity v where v.residentOn = :host and v.powerState in :states"
                + " order by v.memoryMiB desc", VmEntity.class).setParameter("host", host)
                .setParameter("states", List.of(VmPowerState.RUNNING, VmPowerState.PAUSED)).getResultList();
        Map<UUID, Long> free = new LinkedHashMap<>();
        for (io.atoll.master.host.HostEntity h : em.createQuery("select h from HostEntity h where h.uuid <> :host and h.enabled = true"
                + " and h.health = :online", io.atoll.master.host.HostEntity.class).setParameter("host", hostUuid)
                .setParameter("online", io.atoll.master.host.HostHealth.ONLINE).getResultList()) {
            free.put(h.getUuid(), h.getMemoryFreeForVmsBytes() >> 20);
        }
        for (VmEntity vm : moving) {
            java.util.Set<UUID> srs = new java.util.HashSet<>(em.createQuery("select distinct d.virtualDisk.repository.uuid from VmDiskEntity d"
                    + " where d.vm = :vm and d.virtualDisk is not null", UUID.class).setParameter("vm", vm).getResultList());
            UUID best = null;
            for (Map.Entry<UUID, Long> h : free.entrySet()) {
                boolean sees = srs.isEmpty() || em.createQuery("select count(a) from StorageAttachmentEntity a where a.host.uuid = :h"
                        + " and a.attached = true and a.repository.uuid in :srs", Long.class).setParameter("h", h.getKey())
                        .setParameter("srs", srs).getSingleResult() == srs.size();
                if (sees && h.getValue() >= vm.getMemoryMiB() && (best == null || h.getValue() > free.get(best))) {
                    best = h.getKey();
                }
            }
            if (best == null) {
                throw new MasterException(MasterErrorCode.NO_HOST_AVAILABLE, "host " + hostUuid, "the pool has no room to evacuate "
                        + host.label() + ": " + vm.label() + " (" + vm.getMemoryMiB() + " MiB) fits on no other enabled, online host that sees "
                        + "its storage" + (free.isEmpty() ? " (there is none)" : " (free: " + free + " MiB)") + "; nothing was changed");
            }
            free.put(best, free.get(best) - vm.getMemoryMiB());
        }
    }

    private void run(UUID host, UUID task, int batch) {
        tasks.running(task);
        List<Object[]> resident = QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                "select v.uuid, v.name, v.powerState from VmEntity v where v.residentOn.uuid = :host order by v.name", Object[].class)
                .setParameter("host", host).getResultList());
        Map<UUID, UUID> migrated = new LinkedHashMap<>();
        Map<UUID, String> left = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        List<Object[]> toMove = new ArrayList<>();
        for (Object[] row : resident) {
            VmPowerState state = (VmPowerState) row[2];
            if (state != VmPowerState.RUNNING && state != VmPowerState.PAUSED) {
                left.put((UUID) row[0], state.name().toLowerCase() + ": its state is on this host; resume or shut it down, then it can move");
            } else {
                toMove.add(row);
            }
        }
        int done = 0;
        // In batches: the migrations of a batch run at once (each its own task), the next batch after.
        for (int i = 0; i < toMove.size(); i += batch) {
            Map<Object[], Task> running = new LinkedHashMap<>();
            for (Object[] row : toMove.subList(i, Math.min(toMove.size(), i + batch))) {
                try {
                    running.put(row, vms.request((UUID) row[0], new VmAction.Migrate(null, null, null, null)));
                } catch (MasterException e) {
                    left.put((UUID) row[0], e.code() + ": " + e.getMessage());
                    failures.add(row[1] + " (" + e.getMessage() + ")");
                }
            }
            for (Map.Entry<Object[], Task> m : running.entrySet()) {
                UUID vm = (UUID) m.getKey()[0];
                Task end = await(m.getValue().uuid());
                if (end.status() == TaskStatus.SUCCESS) {
                    migrated.put(vm, vms.get(vm).residentOn());
                } else {
                    String why = end.error() == null ? end.status().name() : end.error().code() + ": " + end.error().message();
                    left.put(vm, why);
                    failures.add(m.getKey()[1] + " (" + why + ")");
                }
                tasks.progress(task, (double) ++done / toMove.size());
            }
        }
        Outcome outcome = new Outcome(migrated, left);
        LOG.infof("host %s: evacuated %d VM(s), %d left", host, migrated.size(), left.size());
        QuarkusTransaction.requiringNew().run(() -> {
            if (failures.isEmpty()) {
                tasks.succeed(task, outcome);
            } else {
                tasks.fail(task, new MasterException(MasterErrorCode.HOST_HAS_RESIDENT_VMS, "host " + host, "host " + host
                        + " is disabled but still holds " + String.join("; ", failures)));
            }
        });
    }

    private Task await(UUID task) {
        while (true) {
            Task t = tasks.get(task);
            if (t.status() != TaskStatus.PENDING && t.status() != TaskStatus.RUNNING) {
                return t;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MasterException(MasterErrorCode.TASK_INTERRUPTED, "task " + task, "the evacuation was interrupted");
            }
        }
    }
}
