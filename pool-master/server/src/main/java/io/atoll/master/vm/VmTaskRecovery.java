package io.atoll.master.vm;

import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.event.ObjectRef;
import io.atoll.master.task.TaskObjectRecovery;
import io.atoll.master.task.TaskService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.transaction.Transactional.TxType;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Releases a VM held by an abandoned task (TaskWatchdog): its lock and a start's placement, as
 * a master's restart does (VmService#releaseInterrupted). The VM's state is left to
 * reconciliation, which reads it from its host at the next poll.
 */
@ApplicationScoped
public class VmTaskRecovery implements TaskObjectRecovery {
    private static final Logger LOG = Logger.getLogger(VmTaskRecovery.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    TaskService tasks;

    @Override
    public boolean handles(ObjectClass objectClass) {
        return objectClass == ObjectClass.VM;
    }

    @Override
    @Transactional(TxType.MANDATORY)
    public void abandoned(UUID task, ObjectRef object, MasterException error) {
        // VM row first, then the task, then the event clock: the order every VM outcome follows.
        VmEntity vm = em.find(VmEntity.class, object.uuid(), LockModeType.PESSIMISTIC_WRITE);
        boolean held = vm != null && task.equals(vm.getCurrentTask());
        if (held) {
            vm.unlock(task);
            vm.scheduleOn(null);
        }
        tasks.fail(task, error);
        if (held) {
            events.record(ObjectClass.VM, EventOperation.MOD, vm.getUuid(), vm.view());
            LOG.warnf("%s: released by abandoned task %s; reconciliation re-reads its state from its host", vm.label(), task);
        }
    }
}
