package io.atoll.master.task;

import io.atoll.master.MasterConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The threads that run tasks. A fixed pool: a burst of requests queues as PENDING tasks rather
 * than opening as many agent calls at once. Work is submitted after the transaction that created
 * the task has committed, so a worker always finds its task.
 */
@ApplicationScoped
public class TaskWorkers {
    private static final Logger LOG = Logger.getLogger(TaskWorkers.class);

    @Inject
    MasterConfig config;

    private ExecutorService executor;
    /** The work of each task a worker has taken or will take, until it ends: what the watchdog interrupts. */
    private final Map<UUID, Future<?>> work = new ConcurrentHashMap<>();

    @PostConstruct
    void create() {
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(config.taskWorkers(), r -> {
            Thread t = new Thread(r, "atoll-task-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code work} for task {@code task} on a worker; {@code work} must record its own outcome. */
    public void submit(UUID task, Runnable body) {
        // Registered before it can run, removed when it ends: the map holds only unfinished work.
        synchronized (work) {
            work.put(task, executor.submit(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    LOG.errorf(t, "task %s: the worker failed outside the task's own error handling", task);
                } finally {
                    synchronized (work) {
                        work.remove(task);
                    }
                }
            }));
        }
    }

    /**
     * Interrupts the worker running {@code task}, if one still does. A worker waiting for an agent
     * answers only when that call ends (each has its bound); the task's outcome is then refused,
     * since the watchdog has ended it.
     */
    public boolean interrupt(UUID task) {
        Future<?> running = work.get(task);
        return running != null && running.cancel(true);
    }

    /** Running tasks are interrupted; the next start fails them as TASK_INTERRUPTED (see TaskService). */
    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        executor.shutdownNow();
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
            LOG.warn("task workers still busy 10 s after shutdown; their tasks will be failed at the next start");
        }
    }
}
