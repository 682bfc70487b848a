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
 * there, and each VM running or paused on it is live-migrated to another host, one after another
 * (each its own {@code vm.pool_migrate} task, its progress counted in the evacuation's). The
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

    public Task request(UUID host) {
        hosts.setEnabled(host, false);
        Task task = QuarkusTransaction.requiringNew().call(() -> tasks.create("host.evacuate", ObjectRef.host(host)));
        workers.submit(task.uuid(), () -> run(host, task.uuid()));
        return task;
    }

    private void run(UUID host, UUID task) {
        tasks.running(task);
        List<Object[]> resident = QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                "select v.uuid, v.name, v.powerState from VmEntity v where v.residentOn.uuid = :host order by v.name", Object[].class)
                .setParameter("host", host).getResultList());
        Map<UUID, UUID> migrated = new LinkedHashMap<>();
        Map<UUID, String> left = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        int done = 0;
        for (Object[] row : resident) {
            UUID vm = (UUID) row[0];
            VmPowerState state = (VmPowerState) row[2];
            if (state != VmPowerState.RUNNING && state != VmPowerState.PAUSED) {
                left.put(vm, state.name().toLowerCase() + ": its state is on this host; resume or shut it down, then it can move");
            } else {
                try {
                    Task migrate = vms.request(vm, new VmAction.Migrate(null, null, null, null));
                    Task end = await(migrate.uuid());
                    if (end.status() == TaskStatus.SUCCESS) {
                        migrated.put(vm, vms.get(vm).residentOn());
                    } else {
                        String why = end.error() == null ? end.status().name() : end.error().code() + ": " + end.error().message();
                        left.put(vm, why);
                        failures.add(row[1] + " (" + why + ")");
                    }
                } catch (MasterException e) {
                    left.put(vm, e.code() + ": " + e.getMessage());
                    failures.add(row[1] + " (" + e.getMessage() + ")");
                }
            }
            tasks.progress(task, (double) ++done / resident.size());
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
