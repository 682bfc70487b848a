package io.atoll.master.vm;

import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.storage.StorageNames;
import io.atoll.master.storage.StorageService;
import io.atoll.master.storage.Vdi;
import io.atoll.master.task.TaskService;
import io.atoll.node.api.IncomingInfo;
import io.atoll.node.api.IncomingRequest;
import io.atoll.node.api.MigrationProgress;
import io.atoll.node.api.MigrationRequest;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Carries out an accepted {@link VmAction} on a worker thread: placement, the agent calls, and
 * the outcome through {@link VmService}. No database transaction is open during an agent call.
 * Whatever happens, the task ends (SUCCESS or FAILURE) and the VM's lock is released; after a
 * failure the VM's state is what its host reports, when the host answers.
 */
@ApplicationScoped
public class VmOperations {
    private static final Logger LOG = Logger.getLogger(VmOperations.class);

    @Inject
    VmService vms;

    @Inject
    Placement placement;

    @Inject
    AgentClient agents;

    @Inject
    TaskService tasks;

    @Inject
    StorageService storage;

    @Inject
    io.atoll.master.host.HostService hostService;

    @Inject
    io.atoll.master.network.NetworkRealiser networks;

    @Inject
    VifOperations vifOperations;

    /** The source host of each migration that has reached its host, for cancels. */
    private final Map<UUID, AgentEndpoint> migrations = new java.util.concurrent.ConcurrentHashMap<>();

    /** Polls migrations' progress: one daemon thread for all. */
    private final java.util.concurrent.ScheduledExecutorService progress = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "atoll-migration-progress");
        t.setDaemon(true);
        return t;
    });

    /** How many hosts a start placed by the master tries when agents refuse it for memory. */
    static final int START_PLACEMENTS = 3;

    void run(UUID vm, UUID task, VmAction action) {
        long began = System.nanoTime();
        String op = action.operation().wireName();
        AgentEndpoint[] agent = new AgentEndpoint[1];
        try {
            tasks.running(task);
            Vm result;
            if (action instanceof VmAction.Start start) {
                result = start(vm, task, start, agent);
            } else if (action instanceof VmAction.Destroy destroy) {
                destroy(vm, task, destroy);
                return;
            } else if (action instanceof VmAction.Migrate migrate) {
                result = migrate(vm, task, migrate, agent);
            } else if (action instanceof VmAction.Snapshot snapshot) {
                result = snapshot(vm, task, snapshot);
            } else if (action instanceof VmAction.Clone clone) {
                result = clone(vm, task, clone);
            } else if (action instanceof VmAction.Revert revert) {
                result = revert(vm, task, revert);
            } else if (action instanceof VmAction.PlugVif || action instanceof VmAction.UnplugVif) {
                result = vifOperations.run(vm, task, action, agent);
            } else {
                agent[0] = vms.residentAgent(vm);
                result = onResidentHost(vm, task, action, agent[0]);
            }
            LOG.infof("vm %s (%s): %s completed in %d ms, now %s", vm, result.name(), op, (System.nanoTime() - began) / 1_000_000,
                    result.powerState());
        } catch (MasterException e) {
            fail(vm, task, op, e, agent[0]);
        } catch (RuntimeException e) {
            LOG.errorf(e, "vm %s: %s failed unexpectedly (task %s)", vm, op, task);
            fail(vm, task, op, new MasterException(MasterErrorCode.INTERNAL, "vm " + vm, op + " failed: " + e), agent[0]);
        }
    }

    /**
     * Places the VM, defines it on the chosen host from the pool database's spec (replacing a
     * stale definition left there), and starts it.
     */
    private Vm start(UUID vm, UUID task, VmAction.Start start, AgentEndpoint[] agent) {
        VmSpec spec = vms.spec(vm);
        Set<UUID> refused = new HashSet<>();
        MasterException lastRefusal = null;
        while (true) {
            try {
                agent[0] = placement.place(vm, start.host(), refused, null);
            } catch (MasterException noHost) {
                if (lastRefusal == null) {
                    throw noHost;
                }
                // Every host placement could choose refused it: the agents' reason is the one to give.
                agent[0] = null;
                throw new MasterException(lastRefusal.code(), "vm " + vm, "no host can start " + spec.name() + ": " + refused.size()
                        + " host(s) refused it for memory; the last: " + lastRefusal.getMessage(), lastRefusal);
            }
            LOG.infof("vm %s (%s): placed on %s", vm, spec.name(), agent[0].label());
            tasks.progress(task, 0.2);
            networks.realiseFor(agent[0].host(), spec);
            Optional<VmInfo> there = agents.vm(agent[0], vm);
            if (there.isPresent() && !there.get().spec().equals(spec)) {
                VmPowerState state = there.get().powerState();
                if (state != VmPowerState.HALTED && state != VmPowerState.CRASHED) {
                    throw new MasterException(MasterErrorCode.HOST_AGENT_ERROR, "vm " + vm, agent[0].label() + " already runs vm " + vm
                            + " (" + state + ") while the pool has it halted: leave it to reconciliation or shut it down on the host");
                }
                agents.destroy(agent[0], vm);
                there = Optional.empty();
            }
            if (there.isEmpty()) {
                agents.create(agent[0], spec);
            }
            tasks.progress(task, 0.5);
            VmInfo info;
            try {
                info = agents.operate(agent[0], vm, "start", null);
            } catch (MasterException e) {
                // The agent's admission is the final word on memory; the master's figure for that host was stale (a poll
                // older than the starts that landed there). With placement left to the master, try the next best host.
                if (start.host() != null || refused.size() >= START_PLACEMENTS - 1
                        || !AgentClient.refusedWith(e, io.atoll.node.api.NodeErrorCode.INSUFFICIENT_MEMORY.name())) {
                    throw e;
                }
                LOG.warnf("vm %s (%s): %s refused it for memory (%s): placing it again on another host", vm, spec.name(),
                        agent[0].label(), e.getMessage());
                forget(agent[0], vm);
                refused.add(agent[0].host());
                lastRefusal = e;
                continue;
            }
            return vms.succeeded(vm, task, agent[0].host(), info.powerState(), true);
        }
    }

    /**
     * Live migration between hosts that both see the VM's disks (a shared repository, or the
     * same image path): the target is placed (never the source) and waits for the VM, the source
     * sends it; while it runs the task follows the source's progress (bytes sent of the guest's
     * memory). When the source answers the VM runs on the target and is gone from the source; on
     * any failure (or a cancel) it runs on where it was, and the target keeps nothing of it.
     */
    private Vm migrate(UUID vm, UUID task, VmAction.Migrate action, AgentEndpoint[] agent) {
        AgentEndpoint source = vms.residentAgent(vm);
        agent[0] = source;
        VmSpec spec = vms.spec(vm);
        AgentEndpoint target = placement.place(vm, action.host(), source.host(), action.sr());
        String listen = hostService.migrationListenAddress(target.host());
        LOG.infof("vm %s (%s): migrating from %s to %s%s", vm, spec.name(), source.label(), target.label(),
                action.sr() == null ? "" : " with its disks into sr " + action.sr());
        tasks.progress(task, 0.05);
        Map<String, Vdi> newDisks = new LinkedHashMap<>();
        try {
            VmSpec targetSpec = spec;
            if (action.sr() != null) {
                targetSpec = newDisksFor(vm, spec, action.sr(), newDisks);
            }
            List<UUID> former = new java.util.ArrayList<>();
            Vm done = migrateTo(vm, task, action, source, target, listen, spec, targetSpec, newDisks, former);
            if (!former.isEmpty()) {
                // The VM runs on the new disks: the old ones go (a failure here is logged; the VM is fine).
                vms.destroyQuietly(former, "vm " + vm + " moved to other disks");
            }
            return done;
        } catch (RuntimeException e) {
            vms.destroyQuietly(newDisks.values().stream().map(Vdi::uuid).toList(), "the storage migration of vm " + vm + " failed");
            throw e;
        }
    }

    /**
     * For a storage migration: a new disk in {@code sr} for each of the VM's disks, of the same
     * size; the target's spec names them. Every disk must be a writable virtual disk.
     */
    private VmSpec newDisksFor(UUID vm, VmSpec spec, UUID sr, Map<String, Vdi> made) {
        VmService.Source source = vms.source(vm);
        Map<String, VmService.VirtualDiskRef> byDevice = new LinkedHashMap<>();
        source.disks().forEach(d -> byDevice.put(d.deviceId(), d));
        List<io.atoll.node.api.DiskSpec> disks = new ArrayList<>();
        for (io.atoll.node.api.DiskSpec d : spec.disks()) {
            VmService.VirtualDiskRef ref = byDevice.get(d.id());
            if (ref == null || ref.readOnly()) {
                throw new MasterException(MasterErrorCode.OPERATION_NOT_ALLOWED, "vm " + vm, "vm " + vm + ": disk " + d.id()
                        + " is " + (ref == null ? "an image file" : "read-only") + ": a storage migration moves writable virtual disks only");
            }
            Vdi from = storage.vdi(ref.vdi());
            Vdi to = storage.createVdi(sr, StorageNames.derive(source.name(), d.id()), from.virtualSize());
            made.put(d.id(), to);
            disks.add(new io.atoll.node.api.DiskSpec(d.id(), d.format(), Map.of("driver", io.atoll.node.api.DiskSpec.VDI_DRIVER, "sr",
                    sr.toString(), "vdi", to.location()), d.formatOptions(), d.readOnly(), d.bus(), d.bootIndex(), d.secrets()));
        }
        return new VmSpec(spec.uuid(), spec.name(), spec.vcpus(), spec.memoryMiB(), spec.boot(), disks, spec.nics(), spec.accelerator(),
                spec.machine());
    }

    private Vm migrateTo(UUID vm, UUID task, VmAction.Migrate action, AgentEndpoint source, AgentEndpoint target, String listen,
                         VmSpec spec, VmSpec targetSpec, Map<String, Vdi> newDisks, List<UUID> former) {
        // The target's bridges and tunnels exist before its QEMU starts listening (NETWORK_NOT_FOUND otherwise).
        networks.realiseFor(target.host(), targetSpec);
        IncomingInfo incoming = agents.incoming(target, new IncomingRequest(targetSpec, listen, !newDisks.isEmpty()));
        migrations.put(vm, source);
        java.util.concurrent.ScheduledFuture<?> follower = progress.scheduleWithFixedDelay(() -> followProgress(source, vm, task),
                500, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
        VmInfo info;
        try {
            info = agents.migrate(source, vm, new MigrationRequest(incoming.uri(), action.downtimeLimitMs(), action.maxDowntimeMs(),
                    action.bandwidthMiBps(), null, null, incoming.disks()));
        } finally {
            follower.cancel(false);
            migrations.remove(vm);
        }
        MigrationProgress last = null;
        try {
            last = agents.migrationProgress(source, vm);
        } catch (MasterException gone) {
            LOG.debugf("vm %s: no final migration figures from %s: %s", vm, source.label(), gone.getMessage());
        }
        VmInfo there = receivedOn(target, vm, info);
        LOG.infof("vm %s (%s): now on %s%s", vm, spec.name(), target.label(), last == null ? ""
                : " (" + last.totalTimeMs() + " ms, " + (last.transferredBytes() >> 20) + " MiB sent, downtime " + last.downtimeMs() + " ms)");
        if (!newDisks.isEmpty()) {
            Map<String, UUID> moved = new LinkedHashMap<>();
            newDisks.forEach((device, vdi) -> moved.put(device, vdi.uuid()));
            former.addAll(vms.disksMoved(vm, moved));
        }
        return vms.succeeded(vm, task, target.host(), there.powerState(), true);
    }

    /**
     * The VM on the target once the target has finished receiving it: the target resumes the
     * guest when it sees the migration complete, a moment after the source reported it done (and,
     * for a storage migration, after the source has let go of the exported disks).
     */
    private VmInfo receivedOn(AgentEndpoint target, UUID vm, VmInfo sourceSaid) {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(90).toNanos();
        while (true) {
            VmInfo there = agents.vm(target, vm).orElseThrow(() -> new MasterException(MasterErrorCode.HOST_AGENT_ERROR, "vm " + vm,
                    target.label() + " does not know vm " + vm + " after the migration the source reported done (" + sourceSaid.powerState() + ")"));
            if (!"migrate_receive".equals(there.currentOperation()) || System.nanoTime() > deadline) {
                return there;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return there;
            }
        }
    }

    private void followProgress(AgentEndpoint source, UUID vm, UUID task) {
        try {
            MigrationProgress p = agents.migrationProgress(source, vm);
            if (p.totalBytes() > 0) {
                // Memory may be sent more than once (pages dirtied again): cap the fraction below the end.
                double sent = Math.min(0.95, (double) p.transferredBytes() / p.totalBytes());
                tasks.progress(task, 0.1 + 0.85 * sent);
            }
        } catch (RuntimeException notYet) {
            LOG.debugf("vm %s: migration progress not readable yet: %s", vm, notYet.getMessage());
        }
    }

    /** Cancels the VM's migration in progress; its task then fails with the agent's MIGRATION_CANCELLED, the VM running on its source. */
    void cancelMigration(UUID vm) {
        AgentEndpoint source = migrations.get(vm);
        if (source == null) {
            throw new MasterException(MasterErrorCode.OPERATION_NOT_ALLOWED, "vm " + vm, "vm " + vm
                    + " is not migrating (or its migration has not reached its host yet): nothing to cancel");
        }
        agents.cancelMigration(source, vm);
    }

    private void destroy(UUID vm, UUID task, VmAction.Destroy destroy) {
        VmService.Destroyed gone = vms.destroyed(vm, destroy.deleteDisks());
        List<String> failed = new ArrayList<>();
        for (UUID vdi : gone.disks()) {
            try {
                storage.destroyVdi(vdi);
            } catch (MasterException e) {
                LOG.warnf("vm %s: destroyed, but its disk %s was not: %s", vm, vdi, e.getMessage());
                failed.add("vdi " + vdi + " (" + e.getMessage() + ")");
            }
        }
        vms.destroyFinished(task, gone.last(), failed.isEmpty() ? null : new MasterException(MasterErrorCode.VDI_IN_USE, "vm " + vm,
                "vm " + vm + " was destroyed, but not all its disks: " + String.join("; ", failed)
                        + "; destroy them with DELETE /api/v1/vdis/UUID"));
        LOG.infof("vm %s: destroyed%s (task %s)", vm, destroy.deleteDisks() ? " with " + (gone.disks().size() - failed.size()) + " disk(s)" : "",
                task);
    }

    /**
     * Snapshots each writable virtual disk (through the VM's host when it runs, so the guest goes
     * on), then records the snapshot VM. Disks already made are destroyed again if a later one
     * fails, so a failed snapshot leaves nothing.
     */
    private Vm snapshot(UUID vm, UUID task, VmAction.Snapshot action) {
        VmService.Source source = vms.source(vm);
        Map<String, UUID> made = new LinkedHashMap<>();
        try {
            List<VmService.VirtualDiskRef> disks = source.disks().stream().filter(d -> !d.readOnly()).toList();
            for (VmService.VirtualDiskRef d : disks) {
                Vdi snap = storage.snapshotVdi(d.vdi(), StorageNames.derive(source.name() + "-" + action.name(), d.deviceId()), source.live());
                made.put(d.deviceId(), snap.uuid());
                tasks.progress(task, 0.1 + 0.8 * made.size() / disks.size());
            }
            return vms.snapshotted(vm, task, action.name(), made);
        } catch (RuntimeException e) {
            vms.destroyQuietly(List.copyOf(made.values()), "the snapshot of vm " + vm + " failed");
            throw e;
        }
    }

    /** Clones each writable virtual disk (read-only ones are shared), then records the new VM. */
    private Vm clone(UUID vm, UUID task, VmAction.Clone action) {
        VmService.Source source = vms.source(vm);
        Map<String, UUID> made = new LinkedHashMap<>();
        try {
            List<VmService.VirtualDiskRef> disks = source.disks().stream().filter(d -> !d.readOnly()).toList();
            for (VmService.VirtualDiskRef d : disks) {
                Vdi copy = storage.cloneVdi(d.vdi(), StorageNames.derive(action.name(), d.deviceId()), action.full());
                made.put(d.deviceId(), copy.uuid());
                tasks.progress(task, 0.1 + 0.8 * made.size() / disks.size());
            }
            return vms.cloned(vm, task, action.name(), made);
        } catch (RuntimeException e) {
            vms.destroyQuietly(List.copyOf(made.values()), "the clone '" + action.name() + "' of vm " + vm + " failed");
            throw e;
        }
    }

    /** Reverts each disk to the snapshot's, then takes the snapshot's hardware. */
    private Vm revert(UUID vm, UUID task, VmAction.Revert action) {
        Map<UUID, UUID> plan = vms.revertPlan(vm, action.snapshot());
        List<UUID> done = new ArrayList<>();
        for (Map.Entry<UUID, UUID> e : plan.entrySet()) {
            try {
                storage.revertVdi(e.getKey(), e.getValue());
            } catch (MasterException failure) {
                throw new MasterException(failure.code(), failure.object(), failure.getMessage() + (done.isEmpty() ? ""
                        : " (disks " + done + " were reverted already; revert again to finish)"), failure);
            }
            done.add(e.getKey());
            tasks.progress(task, 0.1 + 0.8 * done.size() / plan.size());
        }
        return vms.reverted(vm, task, action.snapshot());
    }

    private Vm onResidentHost(UUID vm, UUID task, VmAction action, AgentEndpoint agent) {
        VmInfo info;
        if (action instanceof VmAction.Shutdown s) {
            info = agents.operate(agent, vm, "shutdown", new ShutdownRequest(s.force(), s.timeoutSeconds()));
        } else if (action instanceof VmAction.Reboot r) {
            info = agents.operate(agent, vm, "reboot", new ShutdownRequest(r.force(), r.timeoutSeconds()));
        } else if (action instanceof VmAction.Pause) {
            info = agents.operate(agent, vm, "pause", null);
        } else if (action instanceof VmAction.Unpause) {
            info = agents.operate(agent, vm, "unpause", null);
        } else if (action instanceof VmAction.Suspend) {
            info = agents.operate(agent, vm, "suspend", null);
        } else if (action instanceof VmAction.Resume) {
            info = agents.operate(agent, vm, "resume", null);
        } else {
            throw new IllegalStateException("no handler for " + action);
        }
        if (info.powerState() == VmPowerState.HALTED) {
            forget(agent, vm);
        }
        return vms.succeeded(vm, task, agent.host(), info.powerState(), false);
    }

    /**
     * A halted VM lives in the pool database only: its definition leaves the host, so that the
     * next start may choose any host and the spec comes fresh from the database.
     */
    void forget(AgentEndpoint agent, UUID vm) {
        try {
            agents.destroy(agent, vm);
        } catch (MasterException e) {
            LOG.warnf("vm %s: halted, but its definition stays on %s (replaced at its next start there): %s", vm, agent.label(),
                    e.getMessage());
        }
    }

    private void fail(UUID vm, UUID task, String op, MasterException error, AgentEndpoint agent) {
        LOG.warnf("vm %s: %s failed (task %s): %s %s", vm, op, task, error.code(), error.getMessage());
        VmPowerState reported = null;
        if (agent != null) {
            try {
                Optional<VmInfo> there = agents.vm(agent, vm);
                reported = there.map(VmInfo::powerState).orElse(null);
                if (there.isPresent() && reported == VmPowerState.HALTED) {
                    forget(agent, vm);
                }
            } catch (MasterException unreachable) {
                LOG.warnf("vm %s: its state on %s is unknown after the failure: %s", vm, agent.label(), unreachable.getMessage());
            }
        }
        try {
            vms.failed(vm, task, error, agent == null ? null : agent.host(), reported);
        } catch (RuntimeException e) {
            LOG.errorf(e, "vm %s: cannot record the failure of task %s", vm, task);
        }
    }
}
