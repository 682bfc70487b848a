package io.atoll.master.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.event.ObjectRef;
import io.atoll.node.api.ApiError;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import jakarta.transaction.Transactional.TxType;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Owns task rows. A task is created in the transaction that accepts the operation (with the
 * object's lock), moves to RUNNING and through its progress in short transactions of its own,
 * and ends in the transaction that records the operation's outcome on the object — so a task is
 * never SUCCESS while its object says otherwise. Every change is an event of class {@code task}.
 */
@ApplicationScoped
public class TaskService {
    private static final Logger LOG = Logger.getLogger(TaskService.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    ObjectMapper json;

    /** A new PENDING task acting on {@code object}, in the caller's transaction. */
    @Transactional(TxType.MANDATORY)
    public Task create(String name, ObjectRef object) {
        return create(name, object, null);
    }

    /** A new PENDING task started by task {@code parent} (or none), in the caller's transaction. */
    @Transactional(TxType.MANDATORY)
    public Task create(String name, ObjectRef object, UUID parent) {
        TaskEntity task = new TaskEntity(name, object, parent);
        em.persist(task);
        Task view = view(task);
        events.record(ObjectClass.TASK, EventOperation.ADD, task.getUuid(), view);
        LOG.debugf("task %s: %s of %s accepted", task.getUuid(), name, object);
        return view;
    }

    /** A worker took the task. */
    @Transactional(TxType.REQUIRES_NEW)
    public void running(UUID uuid) {
        TaskEntity task = find(uuid);
        task.start();
        events.record(ObjectClass.TASK, EventOperation.MOD, uuid, view(task));
    }

    /** Moves the task's progress forward (it never goes back); nothing once it has ended (the watchdog may have failed it). */
    @Transactional(TxType.REQUIRES_NEW)
    public void progress(UUID uuid, double value) {
        TaskEntity task = find(uuid);
        if (task.getStatus().finished()) {
            return;
        }
        task.progress(value);
        events.record(ObjectClass.TASK, EventOperation.MOD, uuid, view(task));
    }

    /** Ends the task successfully, in the caller's transaction (the one recording the outcome). */
    @Transactional(TxType.MANDATORY)
    public Task succeed(UUID uuid, Object result) {
        TaskEntity task = open(uuid);
        try {
            task.succeed(result == null ? null : json.writeValueAsString(result));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("task " + uuid + ": cannot write its result", e);
        }
        Task view = view(task);
        events.record(ObjectClass.TASK, EventOperation.MOD, uuid, view);
        return view;
    }

    /** Ends the task with an error, in the caller's transaction. */
    @Transactional(TxType.MANDATORY)
    public Task fail(UUID uuid, MasterException error) {
        TaskEntity task = open(uuid);
        task.fail(error.code().name(), error.getMessage());
        Task view = view(task);
        events.record(ObjectClass.TASK, EventOperation.MOD, uuid, view);
        return view;
    }

    @Transactional
    public Task get(UUID uuid) {
        return view(find(uuid));
    }

    /** Tasks, newest first; {@code status} filters when not null. */
    @Transactional
    public List<Task> list(TaskStatus status, int limit) {
        String where = status == null ? "" : " where t.status = :status";
        var query = em.createQuery("select t from TaskEntity t" + where + " order by t.createdAt desc", TaskEntity.class);
        if (status != null) {
            query.setParameter("status", status);
        }
        return query.setMaxResults(limit).getResultList().stream().map(this::view).toList();
    }

    /**
     * At start-up no task can be running: one left PENDING or RUNNING was cut off by the master's
     * end. It fails with TASK_INTERRUPTED rather than staying pending forever. Then (priority 15)
     * the start-up reconciliation re-reads the VMs those tasks acted on from their hosts, and
     * (priority 20) their locks are released — all before the API opens.
     */
    @Transactional
    void failInterrupted(@Observes @Priority(10) io.atoll.master.ha.MasterActivated start) {
        List<TaskEntity> cut = em.createQuery("select t from TaskEntity t where t.status in :open", TaskEntity.class)
                .setParameter("open", List.of(TaskStatus.PENDING, TaskStatus.RUNNING)).getResultList();
        for (TaskEntity task : cut) {
            task.fail(MasterErrorCode.TASK_INTERRUPTED.name(), "the pool master stopped (or another master instance took over) while " + task.getName()
                    + " ran; check the state of " + task.getObject() + " and repeat the operation if needed");
            events.record(ObjectClass.TASK, EventOperation.MOD, task.getUuid(), view(task));
            LOG.warnf("task %s: %s of %s interrupted by the master's restart", task.getUuid(), task.getName(), task.getObject());
        }
    }

    /** The tasks {@code parent} started, oldest first. */
    @Transactional
    public List<Task> children(UUID parent) {
        return em.createQuery("select t from TaskEntity t where t.parent = :p order by t.createdAt", TaskEntity.class)
                .setParameter("p", parent).getResultList().stream().map(this::view).toList();
    }

    /**
     * Tasks RUNNING since before {@code startedBefore}, oldest first: what the watchdog fails
     * ({@link TaskWatchdog}).
     */
    @Transactional
    public List<Task> runningSince(java.time.Instant startedBefore) {
        return em.createQuery("select t from TaskEntity t where t.status = :running and t.startedAt < :before order by t.startedAt",
                TaskEntity.class).setParameter("running", TaskStatus.RUNNING).setParameter("before", startedBefore).getResultList()
                .stream().map(this::view).toList();
    }

    /**
     * The task, still open: a task ends once. A worker that comes back after the watchdog failed
     * its task must not turn it into a success; this refusal rolls its outcome's transaction back,
     * and reconciliation then records what the host really has.
     */
    private TaskEntity open(UUID uuid) {
        TaskEntity task = find(uuid);
        if (task.getStatus().finished()) {
            throw new IllegalStateException("task " + uuid + " (" + task.getName() + ") already ended as " + task.getStatus()
                    + (task.getErrorCode() == null ? "" : " " + task.getErrorCode()) + ": its late outcome is not recorded");
        }
        return task;
    }

    private TaskEntity find(UUID uuid) {
        TaskEntity task = em.find(TaskEntity.class, uuid);
        if (task == null) {
            throw new MasterException(MasterErrorCode.TASK_NOT_FOUND, "task " + uuid, "task " + uuid + " does not exist");
        }
        return task;
    }

    private Task view(TaskEntity t) {
        JsonNode result;
        try {
            result = t.getResult() == null ? null : json.readTree(t.getResult());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("task " + t.getUuid() + ": unreadable result", e);
        }
        ApiError error = t.getErrorCode() == null ? null : new ApiError(t.getErrorCode(), t.getErrorMessage(), t.getObject().toString());
        return new Task(t.getUuid(), t.getName(), t.getStatus(), t.getProgress(), t.getCreatedAt(), t.getStartedAt(),
                t.getFinishedAt(), t.getObject(), result, error, t.getParent());
    }
}
