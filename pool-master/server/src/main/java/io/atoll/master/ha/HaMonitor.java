package io.atoll.master.ha;

import io.atoll.ha.ClusterMember;
import io.atoll.ha.HaTimings;
import io.atoll.ha.HostLiveness;
import io.atoll.ha.MemberId;
import io.atoll.ha.Statefile;
import io.atoll.master.MasterConfig;
import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.host.HostService;
import io.atoll.master.task.Task;
import io.atoll.master.task.TaskService;
import io.atoll.master.task.TaskStatus;
import io.atoll.master.vm.VmAction;
import io.atoll.master.vm.VmService;
import io.atoll.node.api.HaConfig;
import io.atoll.node.api.HaHeartbeat;
import io.atoll.node.api.HaStatus;
import io.atoll.node.api.VmPowerState;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The active master's HA loop (docs/ha.md), every T/5 while HA is enabled: host liveness from the
 * two heartbeats — the cluster view (the hosts' agents are members) and the statefile (read through
 * the agents that can read it) — and, for a host DEAD for T + margin (by then it has certainly
 * fenced itself), the hand-over: its VMs halted, their disks released from it, the protected ones
 * restarted on the other hosts in restart order with their start delays. A host that comes back is
 * re-admitted (its HA settings sent again with the current epoch, which lifts its fence) without
 * starting anything it ran. Every decision is an alert and an event.
 */
@ApplicationScoped
public class HaMonitor {
    private static final Logger LOG = Logger.getLogger(HaMonitor.class);

    @Inject
    HaService ha;

    @Inject
    MasterRole role;

    @Inject
    AgentClient agents;

    @Inject
    Alerts alerts;

    @Inject
    VmService vms;

    @Inject
    TaskService tasks;

    @Inject
    HostService hostService;

    @Inject
    MasterConfig config;

    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "ha-monitor"));
    private final ExecutorService restarter = Executors.newSingleThreadExecutor(r -> daemon(r, "ha-restarts"));
    private volatile ScheduledFuture<?> ticking;
    private volatile Future<?> restarting;
    private volatile HostLiveness liveness;
    private final Map<UUID, HostLiveness.State> states = new ConcurrentHashMap<>();
    private final Map<UUID, HostLiveness.Assessment> assessments = new ConcurrentHashMap<>();
    /** Hosts declared dead and handed over; until they are back. */
    private final Set<UUID> handled = ConcurrentHashMap.newKeySet();
    /** What each host was last told (only a change is sent again). */
    private final Map<UUID, HaConfig> pushed = new ConcurrentHashMap<>();
    private final Map<UUID, HaStatus> lastStatus = new ConcurrentHashMap<>();
    private final Map<UUID, String> lastRestartFailure = new ConcurrentHashMap<>();
    private volatile Set<MasterRole.HostMember> joined = Set.of();

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts watching when this instance becomes the active master (after the start-up work). */
    void activated(@Observes @Priority(30) MasterActivated event) {
        HaTimings timings = role.timings();
        synchronized (this) {
            if (ticking != null) {
                ticking.cancel(false);
            }
            liveness = new HostLiveness(timings);
            states.clear();
            handled.clear();
            pushed.clear();
            long period = Math.max(100, timings.statefileWriteInterval().toMillis());
            ticking = ticker.scheduleWithFixedDelay(this::tick, 0, period, TimeUnit.MILLISECONDS);
        }
    }

    @jakarta.annotation.PostConstruct
    void listen() {
        role.onDeactivated(reason -> stopWatching());
    }

    private synchronized void stopWatching() {
        if (ticking != null) {
            ticking.cancel(false);
            ticking = null;
        }
        Future<?> r = restarting;
        if (r != null) {
            r.cancel(true);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        ticker.shutdownNow();
        restarter.shutdownNow();
    }

    /** The latest assessment of each host (empty while HA is off or this instance is a standby). */
    public Map<UUID, HostLiveness.Assessment> assessments() {
        return Map.copyOf(assessments);
    }

    public Map<UUID, HaStatus> hostStatuses() {
        return Map.copyOf(lastStatus);
    }

    public Set<UUID> handledHosts() {
        return Set.copyOf(handled);
    }

    void tick() {
        try {
            if (!role.isActive()) {
                return;
            }
            HaService.Settings s = ha.settings();
            if (!s.enabled()) {
                assessments.clear();
                return;
            }
            watch(s);
        } catch (RuntimeException e) {
            LOG.warnf(e, "HA: a pass failed; the next one tries again");
        }
    }

    private void watch(HaService.Settings s) {
        HaTimings timings = role.timings();
        List<HaService.HostEntry> hosts = ha.hosts(s);
        Set<MasterRole.HostMember> members = HaService.members(hosts);
        if (!members.equals(joined) || role.member().isEmpty()) {
            try {
                role.join(members);
                joined = members;
            } catch (Exception e) {
                LOG.warnf("HA: cannot join the cluster: %s", e.getMessage());
                return;
            }
        }
        ClusterMember member = role.member().orElseThrow();
        var view = member.view();
        Set<String> inView = new HashSet<>();
        for (MemberId m : view.members()) {
            if (m.role() == MemberId.Role.AGENT) {
                inView.add(m.name());
            }
        }
        // The statefile through every host that answers within T/5; a host's own view of it is as good as any.
        Map<UUID, CompletableFuture<HaStatus>> asked = new LinkedHashMap<>();
        for (HaService.HostEntry h : hosts) {
            asked.put(h.uuid(), agents.haAsync(h.agent(), timings.statefileWriteInterval()));
        }
        Map<String, Statefile.Heartbeat> beats = null;
        for (Map.Entry<UUID, CompletableFuture<HaStatus>> e : asked.entrySet()) {
            try {
                HaStatus st = e.getValue().join();
                lastStatus.put(e.getKey(), st);
                if (st.enabled() && st.statefileReadable()) {
                    if (beats == null) {
                        beats = new HashMap<>();
                    }
                    for (HaHeartbeat b : st.statefile()) {
                        Statefile.Heartbeat seen = beats.get(b.host());
                        if (seen == null || seen.counter() < b.counter()) {
                            beats.put(b.host(), new Statefile.Heartbeat(b.host(), b.counter(), b.timestamp() == null ? Instant.EPOCH : b.timestamp()));
                        }
                    }
                }
            } catch (RuntimeException unreachable) {
                lastStatus.remove(e.getKey());
            }
        }
        long now = System.nanoTime();
        HostLiveness live = liveness;
        for (HaService.HostEntry h : hosts) {
            live.watch(h.uuid().toString(), now);
        }
        live.observe(now, inView, view.inMajority(), beats);
        for (HaService.HostEntry h : hosts) {
            HostLiveness.Assessment a = live.assess(h.uuid().toString(), now);
            assessments.put(h.uuid(), a);
            HostLiveness.State before = states.put(h.uuid(), a.state());
            if (before != a.state() && before != null) {
                transition(h, before, a);
            }
            if (a.restartAllowed() && handled.add(h.uuid())) {
                handOver(h, a);
            }
            if (a.state() == HostLiveness.State.ALIVE) {
                boolean wasHandled = handled.remove(h.uuid());
                HaStatus st = lastStatus.get(h.uuid());
                if (wasHandled || !Objects.equals(pushed.get(h.uuid()), h.config()) || (st != null && (!st.enabled() || st.fenced()))) {
                    push(h, wasHandled || (st != null && st.fenced()));
                }
            } else if (!handled.contains(h.uuid()) && !Objects.equals(pushed.get(h.uuid()), h.config()) && lastStatus.containsKey(h.uuid())) {
                push(h, false); // a host joined after HA was enabled, still forming its view
            }
        }
        restartPending();
    }

    private void push(HaService.HostEntry h, boolean readmit) {
        try {
            HaStatus st = agents.putHa(h.agent(), h.config());
            pushed.put(h.uuid(), h.config());
            if (readmit) {
                alerts.raise("info", "HA_HOST_READMITTED", ObjectClass.HOST, h.uuid(), "host " + h.name() + " is back in the cluster and was "
                        + "re-admitted (fenced now: " + st.fenced() + "); it starts none of the VMs it ran, which run elsewhere or are halted");
            }
        } catch (RuntimeException e) {
            LOG.debugf("HA: %s: settings not applied yet: %s", h.name(), e.getMessage());
        }
    }

    private void transition(HaService.HostEntry h, HostLiveness.State before, HostLiveness.Assessment a) {
        switch (a.state()) {
            case SUSPECT -> alerts.raise("warning", "HA_HOST_SUSPECT", ObjectClass.HOST, h.uuid(), "host " + h.name() + " lost a heartbeat ("
                    + (a.inView() ? "its statefile is stale for " + a.statefileStaleFor().toMillis() + " ms"
                    : "it left the cluster view " + a.absentFromViewFor().toMillis() + " ms ago") + "): watched, nothing restarted");
            case DEAD -> alerts.raise("error", "HA_HOST_DEAD", ObjectClass.HOST, h.uuid(), "host " + h.name() + " lost both heartbeats (out of "
                    + "the view " + a.absentFromViewFor().toMillis() + " ms, statefile stale " + a.statefileStaleFor().toMillis()
                    + " ms): it fences itself; its protected VMs restart elsewhere once T + margin have passed");
            case ALIVE -> alerts.raise("info", "HA_HOST_ALIVE", ObjectClass.HOST, h.uuid(), "host " + h.name() + " has both heartbeats again"
                    + " (was " + before.name().toLowerCase() + ")");
        }
    }

    /** The host is dead and certainly fenced: its VMs halted, their disks released, the protected ones queued for restart. */
    private void handOver(HaService.HostEntry h, HostLiveness.Assessment a) {
        String reason = "host " + h.name() + " died (both heartbeats lost for " + Math.min(a.absentFromViewFor().toMillis(),
                a.statefileStaleFor().toMillis()) + " ms) and has fenced itself";
        hostService.recordUnreachable(h.uuid(), "declared dead by HA: both heartbeats lost; it has fenced itself");
        Map<UUID, Set<UUID>> halted = vms.haltOnDeadHost(h.uuid(), reason);
        List<UUID> protectedHere = new ArrayList<>();
        Set<UUID> srs = new HashSet<>();
        Set<UUID> protectedAll = new HashSet<>();
        ha.protectedVms().forEach(v -> protectedAll.add(v.vm()));
        for (Map.Entry<UUID, Set<UUID>> e : halted.entrySet()) {
            if (protectedAll.contains(e.getKey())) {
                protectedHere.add(e.getKey());
                srs.addAll(e.getValue());
            }
        }
        ha.markPending(protectedHere, true);
        alerts.raise("error", "HA_HOST_FENCED", ObjectClass.HOST, h.uuid(), reason + ": " + halted.size() + " VM(s) marked halted, "
                + protectedHere.size() + " protected one(s) to restart elsewhere");
        // The dead host's disk locks: released through a live host that has each repository attached.
        List<HaService.HostEntry> others = ha.hosts(ha.settings());
        for (UUID sr : srs) {
            boolean released = false;
            for (HaService.HostEntry other : others) {
                if (other.uuid().equals(h.uuid()) || states.get(other.uuid()) != HostLiveness.State.ALIVE) {
                    continue;
                }
                try {
                    List<String> disks = agents.releaseHost(other.agent(), sr, h.uuid());
                    LOG.infof("HA: sr %s: %d disk(s) of %s released through %s", sr, disks.size(), h.name(), other.name());
                    released = true;
                    break;
                } catch (RuntimeException e) {
                    LOG.debugf("HA: sr %s: release through %s failed: %s", sr, other.name(), e.getMessage());
                }
            }
            if (!released) {
                alerts.raise("warning", "HA_LOCK_NOT_RELEASED", ObjectClass.SR, sr, "sr " + sr + ": no live host could release the disks of "
                        + h.name() + "; restarts of VMs on it may be refused until it is released");
            }
        }
    }

    /** Starts the pending protected VMs, one round at a time on the restart thread. */
    private void restartPending() {
        Future<?> r = restarting;
        if (r != null && !r.isDone()) {
            return;
        }
        List<VmHa> pending = ha.protectedVms().stream().filter(VmHa::restartPending).toList();
        if (pending.isEmpty()) {
            return;
        }
        restarting = restarter.submit(() -> restart(pending));
    }

    private void restart(List<VmHa> pending) {
        for (VmHa v : pending) {
            if (Thread.currentThread().isInterrupted() || !role.isActive()) {
                return;
            }
            try {
                var vm = vms.get(v.vm());
                if (vm.powerState() != VmPowerState.HALTED || vm.currentOperation() != null) {
                    if (vm.powerState() == VmPowerState.RUNNING) {
                        ha.markPending(List.of(v.vm()), false);
                    }
                    continue;
                }
                Task task = vms.request(v.vm(), new VmAction.Start(null));
                Task done = await(task);
                if (done.status() == TaskStatus.SUCCESS) {
                    ha.markPending(List.of(v.vm()), false);
                    lastRestartFailure.remove(v.vm());
                    var now = vms.get(v.vm());
                    alerts.raise("info", "HA_VM_RESTARTED", ObjectClass.VM, v.vm(), "vm " + vm.name() + " restarted on host " + now.residentOn()
                            + " by HA (restart priority " + v.restartPriority().wireName() + ")");
                    if (v.startDelaySeconds() > 0) {
                        Thread.sleep(v.startDelaySeconds() * 1000L);
                    }
                } else {
                    failed(v, vm.name(), done.error() == null ? done.status().name() : done.error().message());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                failed(v, v.vm().toString(), e.getMessage());
            }
        }
    }

    private void failed(VmHa v, String name, String why) {
        if (v.restartPriority() == RestartPriority.BEST_EFFORT) {
            ha.markPending(List.of(v.vm()), false);
        }
        if (!Objects.equals(lastRestartFailure.put(v.vm(), String.valueOf(why)), why)) {
            alerts.raise(v.restartPriority() == RestartPriority.RESTART ? "error" : "warning", "HA_VM_RESTART_FAILED", ObjectClass.VM, v.vm(),
                    "vm " + name + " could not be restarted: " + why + (v.restartPriority() == RestartPriority.RESTART
                            ? " (HA tries again while it stays pending)" : " (best-effort: not tried again; start it when there is room)"));
        }
    }

    private Task await(Task task) throws InterruptedException {
        long deadline = System.nanoTime() + config.agentOperationTimeout().plus(Duration.ofSeconds(30)).toNanos();
        while (true) {
            Task t = tasks.get(task.uuid());
            if (t.status() != TaskStatus.PENDING && t.status() != TaskStatus.RUNNING) {
                return t;
            }
            if (System.nanoTime() > deadline) {
                return t;
            }
            Thread.sleep(50);
        }
    }
}
