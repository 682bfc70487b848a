package io.atoll.master.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.host.HostEntity;
import io.atoll.master.host.HostHealth;
import io.atoll.node.api.SrAttachRequest;
import io.atoll.node.api.SrState;
import io.atoll.node.api.VdiInfo;
import io.atoll.node.api.VdiRequest;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Storage repositories and their virtual disks, pool-wide: creates a repository through one host
 * and attaches it on the hosts that use it, runs disk operations on a host where the repository is
 * attached (the VM's own host when the disk is in use, so that snapshots and merges happen live),
 * and keeps the database's disks in step with what the adapters report. As everywhere in the
 * master, no transaction is open during an agent call: a failed call changes no row, and a row
 * is written only for what a host has done.
 */
@ApplicationScoped
public class StorageService {
    private static final Logger LOG = Logger.getLogger(StorageService.class);
    private static final TypeReference<Map<String, String>> CONFIG = new TypeReference<>() {
    };

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    AgentClient agents;

    @Inject
    ObjectMapper json;

    // ---- reads

    @Transactional
    public List<Sr> list() {
        List<StorageRepositoryEntity> srs = em.createQuery("select s from StorageRepositoryEntity s order by s.name",
                StorageRepositoryEntity.class).getResultList();
        Map<UUID, List<StorageAttachmentEntity>> pbds = em.createQuery("select a from StorageAttachmentEntity a join fetch a.host",
                StorageAttachmentEntity.class).getResultList().stream().collect(Collectors.groupingBy(a -> a.getRepository().getUuid()));
        return srs.stream().map(s -> s.view(pbds.getOrDefault(s.getUuid(), List.of()))).toList();
    }

    @Transactional
    public Sr get(UUID uuid) {
        StorageRepositoryEntity sr = sr(uuid, LockModeType.NONE);
        return sr.view(attachments(sr));
    }

    @Transactional
    public List<Vdi> vdis(UUID srOrNull) {
        if (srOrNull != null) {
            sr(srOrNull, LockModeType.NONE);
            return em.createQuery("select d from VirtualDiskEntity d where d.repository.uuid = :sr order by d.name, d.createdAt",
                    VirtualDiskEntity.class).setParameter("sr", srOrNull).getResultList().stream().map(VirtualDiskEntity::view).toList();
        }
        return em.createQuery("select d from VirtualDiskEntity d order by d.name, d.createdAt", VirtualDiskEntity.class)
                .getResultList().stream().map(VirtualDiskEntity::view).toList();
    }

    @Transactional
    public Vdi vdi(UUID uuid) {
        return vdi(uuid, LockModeType.NONE).view();
    }

    // ---- repositories

    /**
     * Creates (or introduces) a repository: asks the first host which adapter types it serves,
     * creates the repository through it, then attaches it on every other online host when the
     * adapter is shared. Only then are the rows written; a refusal by the first host leaves
     * nothing behind, a failure on another host is recorded on that host's attachment.
     */
    public Sr create(SrCreateRequest request) {
        List<AgentEndpoint> hosts = QuarkusTransaction.requiringNew().call(() -> candidateHosts(request));
        AgentEndpoint first = hosts.get(0);
        boolean shared = agents.storageTypeShared(first, request.type());
        if (!shared && request.host() == null && hosts.size() > 1) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, null, "storage repository " + request.name() + ": the "
                    + request.type() + " adapter is not shared: name the host it lives on (\"host\": UUID)");
        }
        UUID uuid = request.uuid() != null ? request.uuid() : UUID.randomUUID();
        SrState state = agents.attachSr(first, uuid, new SrAttachRequest(request.name(), request.type(), request.deviceConfig(),
                request.create()));
        Map<UUID, String> attached = new LinkedHashMap<>();
        attached.put(first.host(), null);
        if (shared) {
            for (AgentEndpoint other : hosts.subList(1, hosts.size())) {
                try {
                    agents.attachSr(other, uuid, new SrAttachRequest(request.name(), request.type(), request.deviceConfig(), false));
                    attached.put(other.host(), null);
                } catch (MasterException e) {
                    LOG.warnf("sr %s (%s): not attached on %s: %s", uuid, request.name(), other.label(), e.getMessage());
                    attached.put(other.host(), e.getMessage());
                }
            }
        }
        try {
            Sr view = QuarkusTransaction.requiringNew().call(() -> record(uuid, request, shared, state, attached));
            LOG.infof("sr %s (%s): %s as %s storage (%s), attached on %d of %d host(s)", uuid, request.name(),
                    request.create() ? "created" : "introduced", request.type(), shared ? "shared" : "local",
                    attached.values().stream().filter(v -> v == null).count(), attached.size());
            if (!request.create()) {
                return scan(uuid);
            }
            return view;
        } catch (RuntimeException e) {
            // Nothing recorded: undo what the hosts did, so no repository is left the pool does not know.
            for (AgentEndpoint h : hosts) {
                if (attached.containsKey(h.host()) && attached.get(h.host()) == null) {
                    boolean destroy = request.create() && h.equals(first);
                    try {
                        agents.detachSr(h, uuid, destroy);
                    } catch (MasterException undo) {
                        LOG.warnf("sr %s: could not undo its attachment on %s: %s", uuid, h.label(), undo.getMessage());
                    }
                }
            }
            throw e;
        }
    }

    private List<AgentEndpoint> candidateHosts(SrCreateRequest request) {
        refuseDuplicateName(request.name());
        if (request.uuid() != null && em.find(StorageRepositoryEntity.class, request.uuid()) != null) {
            throw new MasterException(MasterErrorCode.SR_NAME_TAKEN, "sr " + request.uuid(), "storage repository " + request.uuid()
                    + " is in the pool already");
        }
        List<HostEntity> online = em.createQuery("select h from HostEntity h where h.health = :online order by h.joinedAt",
                HostEntity.class).setParameter("online", HostHealth.ONLINE).getResultList();
        List<AgentEndpoint> hosts = new ArrayList<>();
        if (request.host() != null) {
            HostEntity named = em.find(HostEntity.class, request.host());
            if (named == null) {
                throw new MasterException(MasterErrorCode.HOST_NOT_FOUND, "host " + request.host(), "host " + request.host()
                        + " is not in the pool");
            }
            if (named.getHealth() != HostHealth.ONLINE) {
                throw new MasterException(MasterErrorCode.HOST_NOT_AVAILABLE, "host " + request.host(), named.label()
                        + " is unreachable: create the repository when it is back, or on another host");
            }
            hosts.add(named.agent());
        }
        online.stream().filter(h -> !h.getUuid().equals(request.host())).forEach(h -> hosts.add(h.agent()));
        if (hosts.isEmpty()) {
            throw new MasterException(MasterErrorCode.NO_HOST_AVAILABLE, null, "storage repository " + request.name()
                    + ": no host is online to create it; join a host first");
        }
        return hosts;
    }

    private void refuseDuplicateName(String name) {
        List<UUID> same = em.createQuery("select s.uuid from StorageRepositoryEntity s where s.name = :name", UUID.class)
                .setParameter("name", name).getResultList();
        if (!same.isEmpty()) {
            throw new MasterException(MasterErrorCode.SR_NAME_TAKEN, "sr " + same.get(0), "a storage repository named '" + name
                    + "' exists already (" + same.get(0) + "): choose another name");
        }
    }

    private Sr record(UUID uuid, SrCreateRequest request, boolean shared, SrState state, Map<UUID, String> attached) {
        refuseDuplicateName(request.name());
        HostEntity local = shared ? null : em.find(HostEntity.class, attached.keySet().iterator().next());
        StorageRepositoryEntity sr = new StorageRepositoryEntity(uuid, request.name(), request.type(), shared, local);
        sr.measured(state);
        em.persist(sr);
        String config = toJson(request.deviceConfig());
        List<StorageAttachmentEntity> pbds = new ArrayList<>();
        attached.forEach((host, failure) -> {
            StorageAttachmentEntity pbd = new StorageAttachmentEntity(sr, em.find(HostEntity.class, host), config);
            pbd.setAttached(failure == null, failure);
            em.persist(pbd);
            pbds.add(pbd);
        });
        Sr view = sr.view(pbds);
        events.record(ObjectClass.SR, EventOperation.ADD, uuid, view);
        return view;
    }

    /**
     * Before a host leaves the pool, in the eject's transaction: its local repositories leave the
     * pool with it (their data stays on the host; they can be introduced again), refused while any
     * VM, snapshot or template still has a disk in one.
     */
    public void forgetLocalRepositories(HostEntity host) {
        List<StorageRepositoryEntity> local = em.createQuery("select s from StorageRepositoryEntity s where s.localHost = :host",
                StorageRepositoryEntity.class).setParameter("host", host).getResultList();
        for (StorageRepositoryEntity sr : local) {
            List<String> users = em.createQuery("select distinct d.vm.name from VmDiskEntity d where d.virtualDisk.repository = :sr",
                    String.class).setParameter("sr", sr).getResultList();
            if (!users.isEmpty()) {
                throw new MasterException(MasterErrorCode.HOST_HAS_RESIDENT_VMS, "host " + host.getUuid(), host.label()
                        + " holds the local " + sr.label() + " with disks of " + String.join(", ", users)
                        + ": destroy those VMs (or move their disks) first");
            }
        }
        for (StorageRepositoryEntity sr : local) {
            removeRepositoryRows(sr);
            LOG.infof("%s: forgotten with %s (its data stays on that host)", sr.label(), host.label());
        }
    }

    /** Attaches a repository on one more host (a shared one on a host that joined later, or again after a failure). */
    public Sr attach(UUID srUuid, UUID hostUuid) {
        Object[] plan = QuarkusTransaction.requiringNew().call(() -> {
            StorageRepositoryEntity sr = sr(srUuid, LockModeType.NONE);
            HostEntity host = host(hostUuid);
            if (!sr.isShared() && !host.equals(sr.getLocalHost())) {
                throw new MasterException(MasterErrorCode.SR_NOT_ATTACHED, sr.label(), sr.label() + " is " + sr.getType()
                        + " storage on " + sr.getLocalHost().label() + " and cannot be attached elsewhere");
            }
            return new Object[] {host.agent(), new SrAttachRequest(sr.getName(), sr.getType(), deviceConfigOf(sr), false)};
        });
        AgentEndpoint agent = (AgentEndpoint) plan[0];
        SrState state = agents.attachSr(agent, srUuid, (SrAttachRequest) plan[1]);
        return QuarkusTransaction.requiringNew().call(() -> {
            StorageRepositoryEntity sr = sr(srUuid, LockModeType.PESSIMISTIC_WRITE);
            StorageAttachmentEntity pbd = attachment(sr, hostUuid);
            if (pbd == null) {
                pbd = new StorageAttachmentEntity(sr, em.find(HostEntity.class, hostUuid), toJson(deviceConfigOf(sr)));
                em.persist(pbd);
            }
            pbd.setAttached(true, null);
            sr.measured(state);
            return changed(sr);
        });
    }

    /** Detaches a repository from one host; refused while VMs on that host use its disks. */
    public Sr detach(UUID srUuid, UUID hostUuid) {
        AgentEndpoint agent = QuarkusTransaction.requiringNew().call(() -> {
            StorageRepositoryEntity sr = sr(srUuid, LockModeType.NONE);
            HostEntity host = host(hostUuid);
            List<String> users = em.createQuery("select distinct d.vm.name from VmDiskEntity d where d.virtualDisk.repository = :sr"
                    + " and d.vm.residentOn = :host", String.class).setParameter("sr", sr).setParameter("host", host).getResultList();
            if (!users.isEmpty()) {
                throw new MasterException(MasterErrorCode.SR_IN_USE, sr.label(), sr.label() + " is in use on " + host.label()
                        + " by VM(s) " + String.join(", ", users) + ": shut them down or move them first");
            }
            return host.agent();
        });
        agents.detachSr(agent, srUuid, false);
        return QuarkusTransaction.requiringNew().call(() -> {
            StorageRepositoryEntity sr = sr(srUuid, LockModeType.PESSIMISTIC_WRITE);
            StorageAttachmentEntity pbd = attachment(sr, hostUuid);
            if (pbd != null) {
                pbd.setAttached(false, "detached by request");
            }
            return changed(sr);
        });
    }

    /**
     * Removes a repository from the pool: refused while any VM, template or snapshot has a disk in
     * it. Detaches it from every host; with {@code destroyData} the last host also destroys it on
     * the storage, else its data stays for a later introduce (XAPI's SR.forget).
     */
    public void destroy(UUID srUuid, boolean destroyData) {
        List<AgentEndpoint> attachedOn = QuarkusTransaction.requiringNew().call(() -> {
            StorageRepositoryEntity sr = sr(srUuid, LockModeType.NONE);
            List<String> users = em.createQuery("select distinct d.vm.name from VmDiskEntity d where d.virtualDisk.repository = :sr",
                    String.class).setParameter("sr", sr).getResultList();
            if (!users.isEmpty()) {
                throw new MasterException(MasterErrorCode.SR_IN_USE, sr.label(), sr.label() + " holds disks of " + String.join(", ", users)
                        + ": destroy those VMs (or their disks) first");
            }
            List<AgentEndpoint> on = new ArrayList<>();
            for (StorageAttachmentEntity pbd : attachments(sr)) {
                if (pbd.isAttached()) {
                    if (pbd.getHost().getHealth() != HostHealth.ONLINE) {
                        throw new MasterException(MasterErrorCode.HOST_NOT_AVAILABLE, "host " + pbd.getHost().getUuid(), sr.label()
                                + " is attached on " + pbd.getHost().label() + ", which is unreachable: bring it back or eject it first");
                    }
                    on.add(pbd.getHost().agent());
                }
            }
            if (on.isEmpty() && destroyData) {
                throw new MasterException(MasterErrorCode.SR_NOT_ATTACHED, sr.label(), sr.label()
                        + " is attached on no host, so none can destroy its data: attach it first, or forget it (destroyData=false)");
            }
            return on;
        });
        for (int i = 0; i < attachedOn.size(); i++) {
            boolean last = i == attachedOn.size() - 1;
            AgentEndpoint agent = attachedOn.get(i);
            agents.detachSr(agent, srUuid, last && destroyData);
            QuarkusTransaction.requiringNew().run(() -> {
                StorageAttachmentEntity pbd = attachment(sr(srUuid, LockModeType.NONE), agent.host());
                if (pbd != null) {
                    pbd.setAttached(false, "detached to destroy the repository");
                }
            });
        }
        QuarkusTransaction.requiringNew().run(() -> removeRepositoryRows(sr(srUuid, LockModeType.PESSIMISTIC_WRITE)));
        LOG.infof("sr %s: %s", srUuid, destroyData ? "destroyed" : "forgotten (its data stays on the storage)");
    }

    /** Removes a repository's rows (disks, attachments, itself) with their events; the storage is not touched. */
    private void removeRepositoryRows(StorageRepositoryEntity sr) {
        List<VirtualDiskEntity> disks = em.createQuery("select d from VirtualDiskEntity d where d.repository = :sr",
                VirtualDiskEntity.class).setParameter("sr", sr).getResultList();
        disks.forEach(VirtualDiskEntity::forgetSnapshotOf);
        em.flush();
        for (VirtualDiskEntity d : disks) {
            Vdi last = d.view();
            em.remove(d);
            events.record(ObjectClass.VDI, EventOperation.DEL, d.getUuid(), last);
        }
        List<StorageAttachmentEntity> pbds = attachments(sr);
        Sr last = sr.view(pbds);
        pbds.forEach(em::remove);
        em.remove(sr);
        events.record(ObjectClass.SR, EventOperation.DEL, sr.getUuid(), last);
    }

    /**
     * Re-reads a repository through a host where it is attached: disks the pool does not know are
     * added, sizes refreshed, disks gone from the storage removed (unless a VM still names them:
     * that is logged and left for the administrator).
     */
    public Sr scan(UUID srUuid) {
        AgentEndpoint agent = QuarkusTransaction.requiringNew().call(() -> hostFor(sr(srUuid, LockModeType.NONE), null));
        List<VdiInfo> found = agents.scanSr(agent, srUuid);
        SrState state = agents.sr(agent, srUuid);
        return QuarkusTransaction.requiringNew().call(() -> {
            StorageRepositoryEntity sr = sr(srUuid, LockModeType.PESSIMISTIC_WRITE);
            sr.measured(state);
            Map<String, VirtualDiskEntity> known = new HashMap<>();
            em.createQuery("select d from VirtualDiskEntity d where d.repository = :sr", VirtualDiskEntity.class).setParameter("sr", sr)
                    .getResultList().forEach(d -> known.put(d.getLocation(), d));
            Map<String, VdiInfo> byId = new HashMap<>();
            found.forEach(i -> byId.put(i.id(), i));
            // Parents before children, so that a snapshot's snapshotOf finds its row.
            List<VdiInfo> ordered = new ArrayList<>(found);
            ordered.sort((a, b) -> Boolean.compare(a.snapshotOf() != null, b.snapshotOf() != null));
            for (VdiInfo info : ordered) {
                VirtualDiskEntity row = known.get(info.id());
                if (row == null) {
                    VirtualDiskEntity parent = info.snapshotOf() == null ? null : known.get(info.snapshotOf());
                    row = new VirtualDiskEntity(sr, info, parent);
                    em.persist(row);
                    known.put(info.id(), row);
                    events.record(ObjectClass.VDI, EventOperation.ADD, row.getUuid(), row.view());
                    LOG.infof("%s: scan found %s", sr.label(), row.label());
                } else {
                    row.measured(info);
                }
            }
            for (VirtualDiskEntity row : List.copyOf(known.values())) {
                if (!byId.containsKey(row.getLocation())) {
                    List<String> users = usersOf(row);
                    if (users.isEmpty()) {
                        removeRow(row);
                        LOG.infof("%s: %s is gone from the storage; removed", sr.label(), row.label());
                    } else {
                        LOG.warnf("%s: %s is gone from the storage but VM(s) %s still name it", sr.label(), row.label(), users);
                    }
                }
            }
            return changed(sr);
        });
    }

    // ---- virtual disks

    /** Creates an empty disk through a host where the repository is attached. */
    public Vdi createVdi(UUID srUuid, String name, long sizeBytes) {
        StorageNames.check("disk", name);
        AgentEndpoint agent = QuarkusTransaction.requiringNew().call(() -> hostFor(sr(srUuid, LockModeType.NONE), null));
        VdiInfo info = agents.createVdi(agent, srUuid, new VdiRequest.Create(name, sizeBytes, Map.of()));
        return recordNew(srUuid, info, null, agent);
    }

    /** Destroys a disk or a snapshot no VM (nor VM snapshot, nor template) uses. */
    public void destroyVdi(UUID vdiUuid) {
        Object[] plan = QuarkusTransaction.requiringNew().call(() -> {
            VirtualDiskEntity vdi = vdi(vdiUuid, LockModeType.NONE);
            List<String> users = usersOf(vdi);
            if (!users.isEmpty()) {
                throw new MasterException(MasterErrorCode.VDI_IN_USE, vdi.label(), vdi.label() + " is a disk of " + String.join(", ", users)
                        + ": destroy that VM (or snapshot), or detach the disk, first");
            }
            return new Object[] {hostFor(vdi.getRepository(), liveHost(vdi)), vdi.getRepository().getUuid(), vdi.getLocation()};
        });
        agents.deleteVdi((AgentEndpoint) plan[0], (UUID) plan[1], (String) plan[2]);
        QuarkusTransaction.requiringNew().run(() -> {
            VirtualDiskEntity vdi = em.find(VirtualDiskEntity.class, vdiUuid, LockModeType.PESSIMISTIC_WRITE);
            if (vdi != null) {
                removeRow(vdi);
            }
        });
        LOG.infof("vdi %s: destroyed", vdiUuid);
    }

    /** Grows a disk (through the host running its VM, when one does). */
    public Vdi resizeVdi(UUID vdiUuid, long sizeBytes) {
        Object[] plan = QuarkusTransaction.requiringNew().call(() -> {
            VirtualDiskEntity vdi = vdi(vdiUuid, LockModeType.NONE);
            return new Object[] {hostFor(vdi.getRepository(), liveHost(vdi)), vdi.getRepository().getUuid(), vdi.getLocation()};
        });
        VdiInfo info = agents.vdiOperation((AgentEndpoint) plan[0], (UUID) plan[1], (String) plan[2], "resize", new VdiRequest.Resize(sizeBytes));
        return QuarkusTransaction.requiringNew().call(() -> {
            VirtualDiskEntity vdi = vdi(vdiUuid, LockModeType.PESSIMISTIC_WRITE);
            vdi.measured(info);
            Vdi view = vdi.view();
            events.record(ObjectClass.VDI, EventOperation.MOD, vdiUuid, view);
            return view;
        });
    }

    /**
     * Takes a read-only snapshot of a disk; through {@code live} (the host running the VM that
     * writes the disk) when given, so the guest keeps running.
     */
    public Vdi snapshotVdi(UUID vdiUuid, String name, AgentEndpoint live) {
        Object[] plan = diskPlan(vdiUuid, live);
        AgentEndpoint agent = (AgentEndpoint) plan[0];
        VdiInfo info = agents.vdiOperation(agent, (UUID) plan[1], (String) plan[2], "snapshot", new VdiRequest.Snapshot(name));
        return recordNew((UUID) plan[1], info, vdiUuid, agent);
    }

    /** A new writable disk with the contents of a disk or snapshot (linked when the adapter can). */
    public Vdi cloneVdi(UUID vdiUuid, String name, boolean full) {
        Object[] plan = diskPlan(vdiUuid, null);
        AgentEndpoint agent = (AgentEndpoint) plan[0];
        VdiInfo info = agents.vdiOperation(agent, (UUID) plan[1], (String) plan[2], "clone", new VdiRequest.Clone(name, full ? "FULL" : "LINKED"));
        return recordNew((UUID) plan[1], info, null, agent);
    }

    /** Brings a disk back to one of its snapshots (the disk attached nowhere). */
    public Vdi revertVdi(UUID vdiUuid, UUID snapshotUuid) {
        Object[] plan = QuarkusTransaction.requiringNew().call(() -> {
            VirtualDiskEntity vdi = vdi(vdiUuid, LockModeType.NONE);
            VirtualDiskEntity snapshot = vdi(snapshotUuid, LockModeType.NONE);
            if (snapshot.getSnapshotOf() == null || !snapshot.getSnapshotOf().getUuid().equals(vdiUuid)) {
                throw new MasterException(MasterErrorCode.INVALID_SPEC, snapshot.label(), snapshot.label() + " is not a snapshot of "
                        + vdi.label());
            }
            return new Object[] {hostFor(vdi.getRepository(), null), vdi.getRepository().getUuid(), vdi.getLocation(), snapshot.getLocation()};
        });
        VdiInfo info = agents.vdiOperation((AgentEndpoint) plan[0], (UUID) plan[1], (String) plan[2], "revert",
                new VdiRequest.Revert((String) plan[3]));
        return QuarkusTransaction.requiringNew().call(() -> {
            VirtualDiskEntity vdi = vdi(vdiUuid, LockModeType.PESSIMISTIC_WRITE);
            vdi.measured(info);
            Vdi view = vdi.view();
            events.record(ObjectClass.VDI, EventOperation.MOD, vdiUuid, view);
            return view;
        });
    }

    private Object[] diskPlan(UUID vdiUuid, AgentEndpoint preferred) {
        return QuarkusTransaction.requiringNew().call(() -> {
            VirtualDiskEntity vdi = vdi(vdiUuid, LockModeType.NONE);
            return new Object[] {hostFor(vdi.getRepository(), preferred != null ? preferred.host() : null), vdi.getRepository().getUuid(),
                    vdi.getLocation()};
        });
    }

    /**
     * Records a disk a host has just made. When recording fails the disk is deleted again on that
     * host, so no disk is left that the pool does not know.
     */
    private Vdi recordNew(UUID srUuid, VdiInfo info, UUID snapshotOf, AgentEndpoint agent) {
        try {
            return QuarkusTransaction.requiringNew().call(() -> {
                StorageRepositoryEntity sr = sr(srUuid, LockModeType.NONE);
                VirtualDiskEntity row = new VirtualDiskEntity(sr, info, snapshotOf == null ? null : em.find(VirtualDiskEntity.class, snapshotOf));
                em.persist(row);
                Vdi view = row.view();
                events.record(ObjectClass.VDI, EventOperation.ADD, row.getUuid(), view);
                LOG.infof("%s: %s made in %s", row.label(), snapshotOf == null ? "disk" : "snapshot", sr.label());
                return view;
            });
        } catch (RuntimeException e) {
            try {
                agents.deleteVdi(agent, srUuid, info.id());
            } catch (MasterException undo) {
                LOG.warnf("sr %s: disk %s was made but not recorded, and could not be deleted: %s", srUuid, info.id(), undo.getMessage());
            }
            throw e;
        }
    }

    private void removeRow(VirtualDiskEntity vdi) {
        // Snapshots of it now descend from its own parent (the adapter merged the chain the same way).
        em.createQuery("select d from VirtualDiskEntity d where d.snapshotOf = :vdi", VirtualDiskEntity.class).setParameter("vdi", vdi)
                .getResultList().forEach(VirtualDiskEntity::forgetSnapshotOf);
        em.flush();
        Vdi last = vdi.view();
        em.remove(vdi);
        events.record(ObjectClass.VDI, EventOperation.DEL, vdi.getUuid(), last);
    }

    /** The VMs (snapshots and templates too) with a disk on this virtual disk, by name. */
    private List<String> usersOf(VirtualDiskEntity vdi) {
        return em.createQuery("select distinct d.vm.name from VmDiskEntity d where d.virtualDisk = :vdi", String.class)
                .setParameter("vdi", vdi).getResultList();
    }

    /**
     * The host that must run an operation on this disk for it to happen live: where a running (or
     * paused) VM holds the disk, or a disk of its snapshot chain.
     */
    private UUID liveHost(VirtualDiskEntity vdi) {
        List<VirtualDiskEntity> family = new ArrayList<>();
        family.add(vdi);
        em.createQuery("select d from VirtualDiskEntity d where d.snapshotOf = :vdi", VirtualDiskEntity.class).setParameter("vdi", vdi)
                .getResultList().forEach(family::add);
        if (vdi.getSnapshotOf() != null) {
            family.add(vdi.getSnapshotOf());
        }
        List<UUID> hosts = em.createQuery("select d.vm.residentOn.uuid from VmDiskEntity d where d.virtualDisk in :family"
                + " and d.vm.residentOn is not null", UUID.class).setParameter("family", family).getResultList();
        return hosts.isEmpty() ? null : hosts.get(0);
    }

    /**
     * A host where the repository is attached and that is online: {@code preferred} when it is
     * one, else the first. {@code SR_NOT_ATTACHED} says, host by host, why none fits.
     */
    public AgentEndpoint hostFor(StorageRepositoryEntity sr, UUID preferred) {
        List<StorageAttachmentEntity> pbds = attachments(sr);
        List<String> why = new ArrayList<>();
        AgentEndpoint first = null;
        for (StorageAttachmentEntity pbd : pbds) {
            HostEntity h = pbd.getHost();
            if (!pbd.isAttached()) {
                why.add(h.label() + ": not attached" + (pbd.getReason() == null ? "" : " (" + pbd.getReason() + ")"));
            } else if (h.getHealth() != HostHealth.ONLINE) {
                why.add(h.label() + ": unreachable");
            } else if (h.getUuid().equals(preferred)) {
                return h.agent();
            } else if (first == null) {
                first = h.agent();
            }
        }
        if (first != null && preferred == null) {
            return first;
        }
        if (preferred != null) {
            throw new MasterException(MasterErrorCode.SR_NOT_ATTACHED, sr.label(), sr.label() + " is not usable on host " + preferred
                    + ", where the disk's VM runs" + (why.isEmpty() ? "" : ": " + String.join("; ", why)));
        }
        throw new MasterException(MasterErrorCode.SR_NOT_ATTACHED, sr.label(), sr.label() + " is attached on no online host"
                + (why.isEmpty() ? "" : " (" + String.join("; ", why) + ")") + ": attach it with POST /api/v1/srs/" + sr.getUuid() + "/attach");
    }

    private Sr changed(StorageRepositoryEntity sr) {
        Sr view = sr.view(attachments(sr));
        events.record(ObjectClass.SR, EventOperation.MOD, sr.getUuid(), view);
        return view;
    }

    private List<StorageAttachmentEntity> attachments(StorageRepositoryEntity sr) {
        return em.createQuery("select a from StorageAttachmentEntity a join fetch a.host where a.repository = :sr order by a.host.joinedAt",
                StorageAttachmentEntity.class).setParameter("sr", sr).getResultList();
    }

    private StorageAttachmentEntity attachment(StorageRepositoryEntity sr, UUID host) {
        return attachments(sr).stream().filter(a -> a.getHost().getUuid().equals(host)).findFirst().orElse(null);
    }

    private Map<String, String> deviceConfigOf(StorageRepositoryEntity sr) {
        List<StorageAttachmentEntity> pbds = attachments(sr);
        if (pbds.isEmpty() || pbds.get(0).getDeviceConfig() == null) {
            return Map.of();
        }
        try {
            return json.readValue(pbds.get(0).getDeviceConfig(), CONFIG);
        } catch (JsonProcessingException e) {
            throw new MasterException(MasterErrorCode.INTERNAL, sr.label(), sr.label() + ": its stored device-config is not JSON: " + e.getOriginalMessage());
        }
    }

    private String toJson(Map<String, String> config) {
        try {
            return json.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a device-config as JSON", e);
        }
    }

    StorageRepositoryEntity sr(UUID uuid, LockModeType lock) {
        StorageRepositoryEntity sr = em.find(StorageRepositoryEntity.class, uuid, lock);
        if (sr == null) {
            throw new MasterException(MasterErrorCode.SR_NOT_FOUND, "sr " + uuid, "storage repository " + uuid + " does not exist");
        }
        return sr;
    }

    public VirtualDiskEntity vdi(UUID uuid, LockModeType lock) {
        VirtualDiskEntity vdi = em.find(VirtualDiskEntity.class, uuid, lock);
        if (vdi == null) {
            throw new MasterException(MasterErrorCode.VDI_NOT_FOUND, "vdi " + uuid, "virtual disk " + uuid + " does not exist");
        }
        return vdi;
    }

    private HostEntity host(UUID uuid) {
        HostEntity host = em.find(HostEntity.class, uuid);
        if (host == null) {
            throw new MasterException(MasterErrorCode.HOST_NOT_FOUND, "host " + uuid, "host " + uuid + " is not in the pool");
        }
        return host;
    }
}
