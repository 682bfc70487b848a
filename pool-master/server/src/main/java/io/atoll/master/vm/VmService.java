package io.atoll.master.vm;

import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.event.ObjectRef;
import io.atoll.master.host.HostEntity;
import io.atoll.master.pool.PoolEntity;
import io.atoll.master.storage.StorageNames;
import io.atoll.master.storage.StorageService;
import io.atoll.master.storage.Vdi;
import io.atoll.master.storage.VirtualDiskEntity;
import io.atoll.master.task.Task;
import io.atoll.master.task.TaskService;
import io.atoll.master.task.TaskWorkers;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.transaction.Transactional.TxType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    @Inject
    StorageService storage;

    @Inject
    io.atoll.master.ha.HaService haPlan;

    @Inject
    VmVifs vifs;

    /**
     * Creates a halted VM in the pool database; no host is involved until it starts, except to
     * make the new disks it asks for in their repositories (destroyed again if the VM cannot be
     * recorded, so nothing is left behind).
     */
    public Vm create(VmCreateRequest request) {
        QuarkusTransaction.requiringNew().run(() -> refuseTakenName(request.name()));
        List<UUID> made = new ArrayList<>();
        try {
            List<VmDiskRequest> disks = new ArrayList<>();
            for (VmDiskRequest d : request.disks()) {
                if (d.sr() != null) {
                    Vdi vdi = storage.createVdi(d.sr(), StorageNames.derive(request.name(), d.id()), d.sizeBytes());
                    made.add(vdi.uuid());
                    disks.add(d.onVdi(vdi.uuid()));
                } else {
                    disks.add(d);
                }
            }
            VmCreateRequest resolved = request.withDisks(disks);
            return QuarkusTransaction.requiringNew().call(() -> record(resolved));
        } catch (RuntimeException e) {
            destroyQuietly(made, "vm " + request.name() + " was not created");
            throw e;
        }
    }

    private Vm record(VmCreateRequest asked) {
        lockPool();
        refuseTakenName(asked.name());
        VmCreateRequest request = vifs.resolve(asked);
        VmSpec spec = request.toSpec(UUID.randomUUID());
        Map<String, VirtualDiskEntity> vdis = new HashMap<>();
        for (VmDiskRequest d : request.disks()) {
            if (d.vdi() == null) {
                continue;
            }
            VirtualDiskEntity vdi = storage.vdi(d.vdi(), LockModeType.NONE);
            if (vdi.isReadOnly() && !d.readOnly()) {
                throw new MasterException(MasterErrorCode.INVALID_SPEC, vdi.label(), "disk " + d.id() + ": " + vdi.label()
                        + " is read-only (a snapshot): attach it with \"readOnly\": true, or clone its VM for a writable copy");
            }
            List<Object[]> users = em.createQuery("select d.vm.name, d.readOnly from VmDiskEntity d where d.virtualDisk = :vdi", Object[].class)
                    .setParameter("vdi", vdi).getResultList();
            boolean writableUse = users.stream().anyMatch(u -> !((Boolean) u[1]));
            if (!users.isEmpty() && (!d.readOnly() || writableUse)) {
                throw new MasterException(MasterErrorCode.VDI_IN_USE, vdi.label(), "disk " + d.id() + ": " + vdi.label() + " is a disk of "
                        + users.stream().map(u -> (String) u[0]).distinct().collect(Collectors.joining(", "))
                        + ": a disk is written by one VM only (clone it, or attach it read-only everywhere)");
            }
            vdis.put(d.id(), vdi);
        }
        VmEntity vm = new VmEntity(spec, vdis, vifs.networksOf(spec));
        em.persist(vm);
        Vm view = vm.view();
        events.record(ObjectClass.VM, EventOperation.ADD, vm.getUuid(), view);
        LOG.infof("%s: created (%d vCPU, %d MiB, %d disk(s), %d nic(s))", vm.label(), spec.vcpus(), spec.memoryMiB(),
                spec.disks().size(), spec.nics().size());
        return view;
    }

    /** VM and template names are unique in the pool (a snapshot's among its VM's snapshots). */
    private void refuseTakenName(String name) {
        List<UUID> same = em.createQuery("select v.uuid from VmEntity v where v.name = :name and v.kind <> :snapshot", UUID.class)
                .setParameter("name", name).setParameter("snapshot", VmKind.SNAPSHOT).getResultList();
        if (!same.isEmpty()) {
            throw new MasterException(MasterErrorCode.VM_NAME_TAKEN, "vm " + same.get(0), "a VM named '" + name
                    + "' already exists (" + same.get(0) + "): choose another name");
        }
    }

    private void refuseTakenSnapshotName(VmEntity vm, String name) {
        List<UUID> same = em.createQuery("select v.uuid from VmEntity v where v.name = :name and v.snapshotOf = :vm", UUID.class)
                .setParameter("name", name).setParameter("vm", vm).getResultList();
        if (!same.isEmpty()) {
            throw new MasterException(MasterErrorCode.VM_NAME_TAKEN, "vm " + same.get(0), vm.label() + " has a snapshot named '" + name
                    + "' already (" + same.get(0) + "): choose another name");
        }
    }

    /** Serializes the writers of names (create, clone, snapshot), so that two cannot take the same one. */
    private void lockPool() {
        em.createQuery("select p from PoolEntity p", PoolEntity.class).setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList();
    }

    /** Cancels the VM's live migration in progress. */
    public void cancelMigration(UUID uuid) {
        QuarkusTransaction.requiringNew().run(() -> find(uuid, LockModeType.NONE));
        operations.cancelMigration(uuid);
    }

    /** Makes a template of a halted VM: from then on it is only cloned (or destroyed). */
    @Transactional
    public Vm convertToTemplate(UUID uuid) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        if (vm.getKind() != VmKind.VM || vm.getPowerState() != VmPowerState.HALTED || vm.getCurrentOperation() != null) {
            throw new MasterException(MasterErrorCode.OPERATION_NOT_ALLOWED, "vm " + uuid, vm.label() + " is "
                    + (vm.getKind() != VmKind.VM ? "a " + vm.getKind().wireName() : vm.getCurrentOperation() != null
                    ? "busy with " + vm.getCurrentOperation().wireName() : vm.getPowerState().name().toLowerCase())
                    + ": only a halted VM with no operation in progress becomes a template");
        }
        vm.convertToTemplate();
        Vm view = vm.view();
        events.record(ObjectClass.VM, EventOperation.MOD, uuid, view);
        LOG.infof("%s: now a template", vm.label());
        return view;
    }

    void destroyQuietly(List<UUID> vdis, String why) {
        for (UUID v : vdis) {
            try {
                storage.destroyVdi(v);
            } catch (RuntimeException undo) {
                LOG.warnf("vdi %s: made, but %s and it could not be destroyed: %s (destroy it with DELETE /api/v1/vdis/%s)", v, why,
                        undo.getMessage(), v);
            }
        }
    }

    /** The JSON of a list as of an event token: valid while no event has been recorded since. */
    private record CachedList(long token, byte[] json) {
    }

    private final Map<String, CachedList> listCache = new java.util.concurrent.ConcurrentHashMap<>();

    @Inject
    com.fasterxml.jackson.databind.ObjectMapper json;

    /**
     * {@code GET /api/v1/vms} as JSON, cached until the pool changes. Every change of a VM (or of
     * anything else) records an event in its own transaction, under the event clock's lock, so
     * while the clock's last id stays the same the list does too: the cache is keyed by it. A list
     * read while a change commits (the id moved between before and after the read) is answered
     * but not kept. The read itself is read-only (no dirty checking of thousands of entities).
     */
    public byte[] listJson(VmKind kind) {
        String key = kind == null ? "all" : kind.name();
        long before = QuarkusTransaction.requiringNew().call(events::lastId);
        CachedList cached = listCache.get(key);
        if (cached != null && cached.token() == before) {
            return cached.json();
        }
        List<Vm> vms = QuarkusTransaction.requiringNew().call(() -> {
            em.unwrap(org.hibernate.Session.class).setDefaultReadOnly(true);
            return list(kind);
        });
        byte[] out;
        try {
            out = json.writeValueAsBytes(vms);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the VM list as JSON", e);
        }
        long after = QuarkusTransaction.requiringNew().call(events::lastId);
        if (after == before) {
            listCache.put(key, new CachedList(before, out));
        }
        return out;
    }

    /**
     * One page of the list by name, then uuid (snapshots of different VMs may share a name): at
     * most {@code limit}, those after the name {@code after} — after ({@code after},
     * {@code afterUuid}) when a uuid is given. A name or uuid that no longer exists still places the
     * page. Read-only.
     */
    @Transactional
    public List<Vm> page(VmKind kind, String after, UUID afterUuid, int limit) {
        em.unwrap(org.hibernate.Session.class).setDefaultReadOnly(true);
        StringBuilder q = new StringBuilder("select v from VmEntity v where 1 = 1");
        if (kind != null) {
            q.append(" and v.kind = :kind");
        }
        if (after != null) {
            q.append(afterUuid == null ? " and v.name > :after" : " and (v.name > :after or (v.name = :after and v.uuid > :afterUuid))");
        }
        var query = em.createQuery(q.append(" order by v.name, v.uuid").toString(), VmEntity.class).setMaxResults(limit);
        if (kind != null) {
            query.setParameter("kind", kind);
        }
        if (after != null) {
            query.setParameter("after", after);
            if (afterUuid != null) {
                query.setParameter("afterUuid", afterUuid);
            }
        }
        return query.getResultList().stream().map(VmEntity::view).toList();
    }

    /** VMs, templates and snapshots by name; {@code kind} filters when not null. */
    @Transactional
    public List<Vm> list(VmKind kind) {
        if (kind != null) {
            return em.createQuery("select v from VmEntity v where v.kind = :kind order by v.name, v.uuid", VmEntity.class).setParameter("kind", kind)
                    .getResultList().stream().map(VmEntity::view).toList();
        }
        return em.createQuery("select v from VmEntity v order by v.name, v.uuid", VmEntity.class).getResultList().stream()
                .map(VmEntity::view).toList();
    }

    @Transactional
    public List<Vm> list() {
        return list(null);
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
        return request(uuid, action, null);
    }

    /** The same, as a child of task {@code parent} (a host evacuation's migrations). */
    public Task request(UUID uuid, VmAction action, UUID parent) {
        Task task = QuarkusTransaction.requiringNew().call(() -> accept(uuid, action, parent));
        workers.submit(task.uuid(), () -> operations.run(uuid, task.uuid(), action));
        return task;
    }

    private Task accept(UUID uuid, VmAction action, UUID parent) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        VmOperation op = action.operation();
        if (!op.allowedFor(vm.getKind())) {
            throw new MasterException(MasterErrorCode.VM_IS_TEMPLATE_OR_SNAPSHOT, "vm " + uuid, vm.label() + " is a " + vm.getKind().wireName()
                    + ": it cannot " + op.wireName() + "; clone it (POST /api/v1/vms/" + uuid + "/clone) and use the clone");
        }
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
        checkStorage(vm, action);
        if (op == VmOperation.START) {
            haPlan.checkStart(uuid, vm.getMemoryMiB(), vm.label());
        }
        Task task = tasks.create("vm." + op.wireName(), ObjectRef.vm(uuid), parent);
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

    /**
     * Deletes the VM with its disk attachments and nics; its snapshots stay (no longer "of" it).
     * With {@code deleteDisks}, answers the virtual disks no other VM, snapshot or template uses,
     * for the caller to destroy; the task ends with {@link #destroyFinished}.
     */
    @Transactional(TxType.REQUIRES_NEW)
    Destroyed destroyed(UUID uuid, boolean deleteDisks) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        Vm last = vm.view();
        List<VirtualDiskEntity> disks = vm.getDisks().stream().map(VmDiskEntity::getVirtualDisk).filter(d -> d != null).distinct().toList();
        for (VmEntity snapshot : em.createQuery("select v from VmEntity v where v.snapshotOf = :vm", VmEntity.class).setParameter("vm", vm)
                .getResultList()) {
            snapshot.forgetSnapshotOf();
            events.record(ObjectClass.VM, EventOperation.MOD, snapshot.getUuid(), snapshot.view());
        }
        em.remove(vm);
        em.flush();
        List<UUID> orphans = new ArrayList<>();
        if (deleteDisks) {
            for (VirtualDiskEntity d : disks) {
                Long users = em.createQuery("select count(d) from VmDiskEntity d where d.virtualDisk = :vdi", Long.class)
                        .setParameter("vdi", d).getSingleResult();
                if (users == 0) {
                    orphans.add(d.getUuid());
                }
            }
        }
        events.record(ObjectClass.VM, EventOperation.DEL, uuid, last);
        return new Destroyed(last, orphans);
    }

    /** A destroyed VM's last view, and the disks to destroy with it. */
    record Destroyed(Vm last, List<UUID> disks) {
    }

    /** Ends a destroy's task: SUCCESS, or FAILURE naming the disks that could not be destroyed. */
    @Transactional(TxType.REQUIRES_NEW)
    void destroyFinished(UUID task, Vm last, MasterException diskFailure) {
        if (diskFailure == null) {
            tasks.succeed(task, last);
        } else {
            tasks.fail(task, diskFailure);
        }
    }

    /** Refusals of snapshot, clone and revert that need no host: names, image disks, the snapshot's owner. */
    private void checkStorage(VmEntity vm, VmAction action) {
        if (action instanceof VmAction.Snapshot || action instanceof VmAction.Clone) {
            for (VmDiskEntity d : vm.getDisks()) {
                if (d.getVirtualDisk() == null && !d.isReadOnly()) {
                    throw new MasterException(MasterErrorCode.OPERATION_NOT_ALLOWED, "vm " + vm.getUuid(), vm.label() + ": disk "
                            + d.getDeviceId() + " is an image file, not a virtual disk: " + action.operation().wireName()
                            + " needs every writable disk in a storage repository");
                }
            }
        }
        if (action instanceof VmAction.Snapshot s) {
            refuseTakenSnapshotName(vm, s.name());
        } else if (action instanceof VmAction.Clone c) {
            refuseTakenName(c.name());
        } else if (action instanceof VmAction.Revert r) {
            VmEntity snapshot = em.find(VmEntity.class, r.snapshot());
            if (snapshot == null || snapshot.getKind() != VmKind.SNAPSHOT || snapshot.getSnapshotOf() == null
                    || !snapshot.getSnapshotOf().getUuid().equals(vm.getUuid())) {
                throw new MasterException(MasterErrorCode.INVALID_SPEC, "vm " + r.snapshot(), "vm " + r.snapshot() + " is not a snapshot of "
                        + vm.label() + ": GET /api/v1/vms?kind=snapshot lists snapshots with the VM each was taken of");
            }
        }
    }

    /** A disk of a VM that lives on a virtual disk: what snapshot, clone and revert work on. */
    record VirtualDiskRef(String deviceId, UUID vdi, boolean readOnly) {
    }

    /** What a snapshot or clone of the VM copies: its virtual disks, its name, and the host running it (for live snapshots). */
    record Source(String name, List<VirtualDiskRef> disks, AgentEndpoint live) {
    }

    @Transactional(TxType.REQUIRES_NEW)
    Source source(UUID uuid) {
        VmEntity vm = find(uuid, LockModeType.NONE);
        List<VirtualDiskRef> refs = vm.getDisks().stream().filter(d -> d.getVirtualDisk() != null)
                .map(d -> new VirtualDiskRef(d.getDeviceId(), d.getVirtualDisk().getUuid(), d.isReadOnly())).toList();
        boolean running = vm.getPowerState() == VmPowerState.RUNNING || vm.getPowerState() == VmPowerState.PAUSED;
        return new Source(vm.getName(), refs, running && vm.getResidentOn() != null ? vm.getResidentOn().agent() : null);
    }

    /**
     * After a storage migration: the VM's disks are the new virtual disks now ({@code moved}: device
     * id → new disk). Answers the ones they replace, for the caller to destroy (a master that stops
     * before that leaves them as disks of no VM, listed in {@code GET /api/v1/vdis}).
     */
    @Transactional(TxType.REQUIRES_NEW)
    List<UUID> disksMoved(UUID uuid, Map<String, UUID> moved) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        List<UUID> former = new ArrayList<>();
        for (VmDiskEntity d : vm.getDisks()) {
            UUID to = moved.get(d.getDeviceId());
            if (to != null) {
                former.add(d.getVirtualDisk().getUuid());
                d.moveTo(storage.vdi(to, LockModeType.NONE));
            }
        }
        return former;
    }

    /** For a revert: each of the VM's virtual disks (by uuid) and the snapshot disk to bring it back to. */
    @Transactional(TxType.REQUIRES_NEW)
    Map<UUID, UUID> revertPlan(UUID uuid, UUID snapshotUuid) {
        VmEntity vm = find(uuid, LockModeType.NONE);
        VmEntity snapshot = find(snapshotUuid, LockModeType.NONE);
        Map<UUID, UUID> plan = new LinkedHashMap<>();
        for (VmDiskEntity s : snapshot.getDisks()) {
            if (s.getVirtualDisk() == null || s.isReadOnly()) {
                continue;
            }
            VirtualDiskEntity origin = s.getVirtualDisk().getSnapshotOf();
            boolean present = origin != null && vm.getDisks().stream().anyMatch(d -> d.getVirtualDisk() != null
                    && d.getVirtualDisk().getUuid().equals(origin.getUuid()));
            if (!present) {
                throw new MasterException(MasterErrorCode.OPERATION_NOT_ALLOWED, "vm " + uuid, "disk " + s.getDeviceId() + " of "
                        + snapshot.label() + " was taken of a disk " + vm.label() + " no longer has: clone the snapshot instead");
            }
            plan.put(origin.getUuid(), s.getVirtualDisk().getUuid());
        }
        return plan;
    }

    /** Records a snapshot whose disks were made: a new snapshot VM; the VM's lock released; the task's result the snapshot. */
    @Transactional(TxType.REQUIRES_NEW)
    Vm snapshotted(UUID uuid, UUID task, String name, Map<String, UUID> madeDisks) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        lockPool();
        refuseTakenSnapshotName(vm, name);
        VmEntity snapshot = new VmEntity(vm, name, VmKind.SNAPSHOT, entities(madeDisks));
        em.persist(snapshot);
        vm.unlock(task);
        Vm view = snapshot.view();
        tasks.succeed(task, view);
        events.record(ObjectClass.VM, EventOperation.ADD, snapshot.getUuid(), view);
        events.record(ObjectClass.VM, EventOperation.MOD, uuid, vm.view());
        LOG.infof("%s: snapshot %s taken", vm.label(), snapshot.label());
        return view;
    }

    /** Records a clone whose disks were made: a new halted VM; the source's lock released; the task's result the new VM. */
    @Transactional(TxType.REQUIRES_NEW)
    Vm cloned(UUID uuid, UUID task, String name, Map<String, UUID> madeDisks) {
        VmEntity source = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        lockPool();
        refuseTakenName(name);
        VmEntity clone = new VmEntity(source, name, VmKind.VM, entities(madeDisks));
        em.persist(clone);
        source.unlock(task);
        Vm view = clone.view();
        tasks.succeed(task, view);
        events.record(ObjectClass.VM, EventOperation.ADD, clone.getUuid(), view);
        events.record(ObjectClass.VM, EventOperation.MOD, uuid, source.view());
        LOG.infof("%s: cloned from %s", clone.label(), source.label());
        return view;
    }

    /** Records a revert whose disks were reverted: the snapshot's hardware; lock released; task done. */
    @Transactional(TxType.REQUIRES_NEW)
    Vm reverted(UUID uuid, UUID task, UUID snapshotUuid) {
        VmEntity vm = find(uuid, LockModeType.PESSIMISTIC_WRITE);
        vm.configurationFrom(find(snapshotUuid, LockModeType.NONE));
        vm.unlock(task);
        Vm view = vm.view();
        tasks.succeed(task, view);
        events.record(ObjectClass.VM, EventOperation.MOD, uuid, view);
        return view;
    }

    private Map<String, VirtualDiskEntity> entities(Map<String, UUID> disks) {
        Map<String, VirtualDiskEntity> out = new HashMap<>();
        disks.forEach((device, vdi) -> out.put(device, storage.vdi(vdi, LockModeType.NONE)));
        return out;
    }

    /**
     * At start-up no operation can be running: locks and placements left by a master that stopped
     * mid-task are released (their tasks fail as TASK_INTERRUPTED, see TaskService). Whether the
     * VM's state matches its host is the reconciliation loop's business.
     */
    @Transactional
    void releaseInterrupted(@Observes @Priority(20) io.atoll.master.ha.MasterActivated start) {
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

    /**
     * HA (docs/ha.md): {@code host} is dead and certainly fenced. Every VM resident on it becomes
     * HALTED and resident nowhere; an operation in progress on one of them fails (its task with
     * HOST_UNREACHABLE) and releases the VM. Answers the VMs and, for each, the repositories of its
     * writable disks (which the dead host may still hold: the caller releases them).
     */
    @Transactional(TxType.REQUIRES_NEW)
    public Map<UUID, java.util.Set<UUID>> haltOnDeadHost(UUID host, String reason) {
        List<VmEntity> resident = em.createQuery("select v from VmEntity v where v.residentOn.uuid = :h or v.scheduledOn.uuid = :h",
                VmEntity.class).setParameter("h", host).getResultList();
        Map<UUID, java.util.Set<UUID>> out = new LinkedHashMap<>();
        for (VmEntity vm : resident) {
            em.lock(vm, LockModeType.PESSIMISTIC_WRITE);
            if (vm.getCurrentTask() != null) {
                UUID task = vm.getCurrentTask();
                try {
                    tasks.fail(task, new MasterException(MasterErrorCode.HOST_UNREACHABLE, "host " + host, reason));
                } catch (RuntimeException alreadyEnded) {
                    LOG.debugf("%s: task %s already ended: %s", vm.label(), task, alreadyEnded.getMessage());
                }
                vm.unlock(task);
            }
            vm.placed(null, VmPowerState.HALTED);
            java.util.Set<UUID> srs = new java.util.LinkedHashSet<>();
            for (VmDiskEntity d : vm.getDisks()) {
                if (d.getVirtualDisk() != null && !d.isReadOnly()) {
                    srs.add(d.getVirtualDisk().getRepository().getUuid());
                }
            }
            out.put(vm.getUuid(), srs);
            events.record(ObjectClass.VM, EventOperation.MOD, vm.getUuid(), vm.view());
            LOG.warnf("%s: halted: %s", vm.label(), reason);
        }
        return out;
    }

    VmEntity find(UUID uuid, LockModeType lock) {
        VmEntity vm = em.find(VmEntity.class, uuid, lock);
        if (vm == null) {
            throw new MasterException(MasterErrorCode.VM_NOT_FOUND, "vm " + uuid, "vm " + uuid + " does not exist");
        }
        return vm;
    }
}
