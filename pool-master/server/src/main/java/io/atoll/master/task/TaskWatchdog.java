package io.atoll.master.task;

import io.atoll.master.MasterConfig;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * No task stays RUNNING forever. Every agent call of a task has its own bound, so a task ends
 * within the sum of its calls' bounds; this watchdog is the backstop for what is not an agent
 * call (a worker stuck on a database lock, a bug). A task RUNNING longer than
 * {@code atoll.master.task-running-limit} fails with {@code TASK_INTERRUPTED}, its worker is
 * interrupted, and its object's lock is released ({@link TaskObjectRecovery}) — the default
 * limit is long enough that none of the task's agent calls can still be in flight, so nothing
 * the task asked of a host can still happen behind the next operation. Reconciliation then
 * records what the host really has.
 */
@ApplicationScoped
public class TaskWatchdog {
    private static final Logger LOG = Logger.getLogger(TaskWatchdog.class);

    @Inject
    MasterConfig config;

    @Inject
    TaskService tasks;

    @Inject
    TaskWorkers workers;

    @Inject
    @Any
    Instance<TaskObjectRecovery> recoveries;

    @Inject
    io.atoll.master.ha.MasterRole role;

    /** The configured limit, or the longest a task's agent calls can take together. */
    public Duration limit() {
        return config.taskRunningLimit().orElseGet(() -> config.agentOperationTimeout().multipliedBy(3)
                .plus(config.agentQueryTimeout().multipliedBy(2)).plusMinutes(1));
    }

    @Scheduled(identity = "task-watchdog", every = "${atoll.master.task-watchdog-interval:1m}", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void check() {
        if (!role.isActive()) {
            return; // a standby: the active master watches its own tasks
        }
        Duration limit = limit();
        for (Task task : tasks.runningSince(Instant.now().minus(limit))) {
            MasterException error = new MasterException(MasterErrorCode.TASK_INTERRUPTED, task.object().toString(), task.name()
                    + " was still running " + limit.toSeconds() + " s after it started (atoll.master.task-running-limit): the master"
                    + " ended it; check the state of " + task.object() + " (reconciliation re-reads it from its host) and repeat the"
                    + " operation if needed");
            boolean interrupted = workers.interrupt(task.uuid());
            try {
                QuarkusTransaction.requiringNew().run(() -> {
                    TaskObjectRecovery recovery = recoveries.stream().filter(r -> r.handles(task.object().objectClass())).findFirst()
                            .orElse(null);
                    if (recovery == null) {
                        tasks.fail(task.uuid(), error);
                    } else {
                        recovery.abandoned(task.uuid(), task.object(), error);
                    }
                });
                LOG.warnf("task %s: %s of %s failed by the watchdog after %d s RUNNING (worker %s)", task.uuid(), task.name(),
                        task.object(), limit.toSeconds(), interrupted ? "interrupted" : "already gone");
            } catch (IllegalStateException endedMeanwhile) {
                LOG.debugf("task %s ended while the watchdog looked at it: %s", task.uuid(), endedMeanwhile.getMessage());
            } catch (RuntimeException e) {
                LOG.errorf(e, "task %s: the watchdog could not fail it", task.uuid());
            }
        }
    }
}
