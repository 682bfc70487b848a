package io.atoll.master.vm;

import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.event.ObjectRef;
import io.atoll.master.host.HostEntity;
import io.atoll.master.task.Task;
import io.atoll.master.task.TaskService;
import io.atoll.master.task.TaskWorkers;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.transaction.Transactional.TxType;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Owns the VMs' rows and transactions: creation, reads, accepting an operation (lock + task), and
 * recording an operation's outcome (state + unlock + task end, in one transaction).
 */
@ApplicationScoped
public class VmService {
    private static final Logger LOG = Logger.getLogger(VmService.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    TaskService tasks;

    @Inject
    TaskWorkers workers;

    @Inject
    VmOperations operations;

    /** Creates a halted VM in the pool database; no host is involved until it starts. */
    @Transactional
    public Vm create(VmCreateRequest request) {
        VmSpec spec = request.toSpec(UUID.randomUUID());
        List<UUID> same = em.createQuery("select v.uuid from VmEntity v where v.name = :name", UUID.class)
                .setParameter("name", spec.name()).getResultList();
        if (!same.isEmpty()) {
            throw new MasterException(MasterErrorCode.VM_NAME_TAKEN, "vm " + same.get(0), "a VM named '" + spec.name()
                    + "' already exists (" + same.get(0) + "): choose another name");
        }
        VmEntity vm = new VmEntity(spec);
        em.persist(vm);
        Vm view = vm.view();
        events.record(ObjectClass.VM, EventOperation.ADD, vm.getUuid(), view);
        LOG.infof("%s: created (%d vCPU, %d MiB, %d disk(s), %d nic(s))", vm.label(), spec.vcpus(), spec.memoryMiB(),
                spec.disks().size(), spec.nics().size());
        return view;
    }

    @Transactional
    public List<Vm> list() {
        return em.createQuery("select v from VmEntity v order by v.name", VmEntity.class).getResultList().stream()
                .map(VmEntity::view).toList();
    }

    @Transactional
    public Vm get(UUID uuid) {
        return find(uuid, LockModeType.NONE).view();
    }

    /**
     * Accepts an operation: locks the VM's row (so two requests cannot both pass the checks),
     * refuses it while another operation runs or when the power state forbids it, creates the
     * task and marks the VM busy — all in one transaction — then hands the work to a worker.
     */
    public Task request(UUID uuid, VmAction action) {
        Task task = QuarkusTransaction.requiringNew().call(() -> accept(uuid, action));
        workers.submit(task.uuid(), () -> operations.run(uuid, task.uuid(), action));
        return task;
    }

    private Task accept(UUID uuid, VmAction action) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        VmOperation op = action.operation();
        if (vm.getCurrentOperation() != null) {
            throw new MasterException(MasterErrorCode.OTHER_OPERATION_IN_PROGRESS, "vm " + uuid, vm.label() + ": "
                    + vm.getCurrentOperation().wireName() + " is in progress (task " + vm.getCurrentTask() + "): wait for it to end, then ask "
                    + op.wireName() + " again");
        }
        if (!op.allowedIn(vm.getPowerState())) {
            throw new MasterException(MasterErrorCode.OPERATION_NOT_ALLOWED, "vm " + uuid, vm.label() + " is "
                    + vm.getPowerState().name().toLowerCase() + ": " + op.wireName() + " needs it "
                    + op.allowedIn().stream().map(s -> s.name().toLowerCase()).collect(Collectors.joining(" or ")) + "; allowed now: "
                    + VmOperation.allowed(vm.getPowerState(), null).stream().map(VmOperation::wireName).collect(Collectors.joining(", ")));
        }
        if (action instanceof VmAction.Start start && start.host() != null && em.find(HostEntity.class, start.host()) == null) {
            throw new MasterException(MasterErrorCode.HOST_NOT_FOUND, "host " + start.host(), "host " + start.host() + " is not in the pool");
        }
        Task task = tasks.create("vm." + op.wireName(), ObjectRef.vm(uuid));
        vm.lock(op, task.uuid());
        events.record(ObjectClass.VM, EventOperation.MOD, uuid, vm.view());
        LOG.infof("%s: %s accepted as task %s", vm.label(), op.wireName(), task.uuid());
        return task;
    }

    /** The spec a host receives, read in a short transaction of its own. */
    @Transactional(TxType.REQUIRES_NEW)
    VmSpec spec(UUID uuid) {
        return find(uuid, LockModeType.NONE).spec();
    }

    /** The agent of the host the VM is resident on; an error when it is resident nowhere. */
    @Transactional(TxType.REQUIRES_NEW)
    AgentEndpoint residentAgent(UUID uuid) {
        VmEntity vm = find(uuid, LockModeType.NONE);
        if (vm.getResidentOn() == null) {
            throw new MasterException(MasterErrorCode.INTERNAL, "vm " + uuid, vm.label() + " is " + vm.getPowerState().name().toLowerCase()
                    + " but resident on no host: the pool database disagrees with itself");
        }
        return vm.getResidentOn().agent();
    }

    /**
     * Records a successful operation: the VM is now {@code state} on {@code host} (HALTED: on none),
     * its lock is released and the task succeeds with the VM as result — one transaction, so a
     * reader never sees the task done and the VM not.
     */
    @Transactional(TxType.REQUIRES_NEW)
    Vm succeeded(UUID uuid, UUID task, UUID host, VmPowerState state, boolean started) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        // Locked after the VM, as placement does: the poller writes hosts too.
        HostEntity on = host == null ? null : em.find(HostEntity.class, host, started ? LockModeType.PESSIMISTIC_WRITE : LockModeType.NONE);
        vm.placed(on, state);
        if (started && on != null) {
            on.reserveMemory(vm.getMemoryMiB() << 20);
        }
        vm.unlock(task);
        Vm view = vm.view();
        tasks.succeed(task, view);
        events.record(ObjectClass.VM, EventOperation.MOD, uuid, view);
        if (on != null && started) {
            events.record(ObjectClass.HOST, EventOperation.MOD, on.getUuid(), on.view());
        }
        return view;
    }

    /**
     * Records a failed operation: the lock is released, a placement undone, and — when the host
     * told us — the VM's state set to what the host reports, so it is true afterwards.
     */
    @Transactional(TxType.REQUIRES_NEW)
    void failed(UUID uuid, UUID task, MasterException error, UUID host, VmPowerState reported) {
        VmEntity vm = em.find(VmEntity.class, uuid, LockModeType.PESSIMISTIC_WRITE);
        if (vm == null) {
            tasks.fail(task, error);
            return;
        }
        if (reported != null) {
            vm.placed(host == null ? null : em.find(HostEntity.class, host), reported);
        } else {
            vm.scheduleOn(null);
        }
        vm.unlock(task);
        tasks.fail(task, error);
        events.record(ObjectClass.VM, EventOperation.MOD, uuid, vm.view());
    }

    /** Deletes the VM with its disks and nics (not their files) and ends the task. */
    @Transactional(TxType.REQUIRES_NEW)
    void destroyed(UUID uuid, UUID task) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        Vm last = vm.view();
        em.remove(vm);
        tasks.succeed(task, last);
        events.record(ObjectClass.VM, EventOperation.DEL, uuid, last);
    }

    /**
     * At start-up no operation can be running: locks and placements left by a master that stopped
     * mid-task are released (their tasks fail as TASK_INTERRUPTED, see TaskService). Whether the
     * VM's state matches its host is the reconciliation loop's business.
     */
    @Transactional
    void releaseInterrupted(@Observes @Priority(20) StartupEvent start) {
        List<VmEntity> stale = em.createQuery("select v from VmEntity v where v.currentOperation is not null or v.scheduledOn is not null",
                VmEntity.class).getResultList();
        for (VmEntity vm : stale) {
            LOG.warnf("%s: releasing %s left by the master's restart", vm.label(), vm.getCurrentOperation() == null ? "a placement"
                    : vm.getCurrentOperation().wireName());
            vm.unlock(vm.getCurrentTask() == null ? new UUID(0, 0) : vm.getCurrentTask());
            vm.scheduleOn(null);
        }
        for (VmEntity vm : stale) {
            events.record(ObjectClass.VM, EventOperation.MOD, vm.getUuid(), vm.view());
        }
    }

    VmEntity find(UUID uuid, LockModeType lock) {
        VmEntity vm = em.find(VmEntity.class, uuid, lock);
        if (vm == null) {
            throw new MasterException(MasterErrorCode.VM_NOT_FOUND, "vm " + uuid, "vm " + uuid + " does not exist");
        }
        return vm;
    }
}
