package io.atoll.master;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The pool master's settings ({@code atoll.master.*} in application.properties, the environment or -D). */
@ConfigMapping(prefix = "atoll.master")
public interface MasterConfig {

    /**
     * Where the master keeps its files; the embedded H2 database of the default profile lives here
     * ({@code pool.mv.db}). Ignored for the database when a PostgreSQL URL is configured.
     */
    @WithDefault("/var/lib/atoll/master")
    Path dataDir();

    /** The port of a node agent joined by {@code address} alone (the agent's own default). */
    @WithDefault("7401")
    int agentPort();

    /**
     * How often each host's agent is asked for its facts and VMs. A host whose agent does not
     * answer within {@link #agentQueryTimeout()} is marked UNREACHABLE at that poll.
     */
    @WithDefault("5s")
    Duration hostPollInterval();

    /** How long opening a connection to an agent may take before the agent counts as unreachable. */
    @WithDefault("3s")
    Duration agentConnectTimeout();

    /** The limit of a read-only call to an agent (facts, VM list): these answer from memory. */
    @WithDefault("5s")
    Duration agentQueryTimeout();

    /**
     * The backstop for one VM operation on an agent (start, suspend, resume…). It only catches a
     * hung agent: the agent bounds each step itself (QEMU start, a stalled transfer), so this is
     * large on purpose — long jobs must not die of a hidden timeout.
     */
    @WithDefault("30m")
    Duration agentOperationTimeout();

    /**
     * How long a task may stay RUNNING before the task watchdog fails it ({@code TASK_INTERRUPTED})
     * and releases its object. Unset: the longest a task's agent calls can take together,
     * 3 × {@link #agentOperationTimeout()} + 2 × {@link #agentQueryTimeout()} + 1 min (91 min by
     * default), so no call of the task can still be in flight when it fires. A backstop for a
     * worker stuck outside an agent call (a database lock wait, a bug); agent calls bound themselves.
     */
    Optional<Duration> taskRunningLimit();

    /** How often the task watchdog looks for tasks RUNNING longer than {@link #taskRunningLimit()}. */
    @WithDefault("1m")
    Duration taskWatchdogInterval();

    /** Threads running tasks; more tasks queue (as PENDING) until one is free. */
    @WithDefault("16")
    int taskWorkers();

    /** The longest {@code timeout} a client may ask of {@code GET /api/v1/events} (a long poll holds a worker thread). */
    @WithDefault("120s")
    Duration eventsMaxWait();
}
