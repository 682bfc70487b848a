package io.atoll.master.ha;

import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.host.HostEntity;
import io.atoll.master.host.HostHealth;
import io.atoll.master.storage.StorageAttachmentEntity;
import io.atoll.master.storage.StorageRepositoryEntity;
import io.atoll.master.vm.VmEntity;
import io.atoll.node.api.HaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The pool's HA settings and the VMs' HA policies: enabling HA (the statefile repository, the number
 * of host failures to tolerate), applying it on every host, and the plan that refuses what would
 * leave protected VMs without room after that many failures. The watching and the restarts are
 * {@link HaMonitor}'s.
 */
@ApplicationScoped
public class HaService {
    private static final Logger LOG = Logger.getLogger(HaService.class);
    private static final long MIB = 1L << 20;

    @Inject
    EntityManager em;

    @Inject
    AgentClient agents;

    @Inject
    MasterRole role;

    @Inject
    HaSettings settings;

    @Inject
    Alerts alerts;

    /** {@code PUT /api/v1/pool/ha}: every field optional; the current value stays. */
    public record PoolHaRequest(Boolean enabled, String statefileSr, Integer hostFailuresToTolerate) {
    }

    /** The settings as stored. */
    public record Settings(boolean enabled, UUID statefileSr, int hostFailuresToTolerate) {
    }

    /** A host as HA sees it. */
    public record HostEntry(UUID uuid, String name, String clusterAddress, HaConfig config, AgentEndpoint agent, HostHealth health,
                            boolean enabled) {
    }

    @Transactional
    public Settings settings() {
        PoolHaEntity row = em.find(PoolHaEntity.class, 1);
        return new Settings(row.isEnabled(), row.getStatefileSr(), row.getHostFailuresToTolerate());
    }

    /** Changes the pool's HA settings and applies them on every host; on a host's refusal nothing changes. */
    public Settings configure(PoolHaRequest request) {
        Settings before = settings();
        Settings after = validate(before, request);
        store(after);
        if (!after.enabled()) {
            if (before.enabled()) {
                disableOnHosts();
                alerts.raise("info", "HA_DISABLED", ObjectClass.POOL, null, "HA disabled: protected VMs are no longer restarted when their host dies");
            }
            return after;
        }
        List<AgentEndpoint> applied = new ArrayList<>();
        try {
            List<HostEntry> hosts = hosts(after);
            role.join(members(hosts));
            for (HostEntry h : hosts) {
                agents.putHa(h.agent(), h.config());
                applied.add(h.agent());
            }
        } catch (Exception e) {
            LOG.warnf("HA: applying the settings failed, undoing: %s", e.getMessage());
            store(before);
            for (AgentEndpoint a : applied) {
                try {
                    if (before.enabled()) {
                        hosts(before).stream().filter(h -> h.agent().equals(a)).findFirst().ifPresent(h -> agents.putHa(a, h.config()));
                    } else {
                        agents.deleteHa(a);
                    }
                } catch (RuntimeException undo) {
                    LOG.warnf("HA: %s: undoing failed: %s", a.label(), undo.getMessage());
                }
            }
            if (!before.enabled()) {
                role.leaveUnlessClustered();
            }
            String why = e instanceof MasterException m ? m.getMessage() : e.toString();
            throw new MasterException(MasterErrorCode.HA_NOT_POSSIBLE, "pool", "HA could not be applied on every host, nothing changed: " + why);
        }
        if (!before.enabled()) {
            alerts.raise("info", "HA_ENABLED", ObjectClass.POOL, null, "HA enabled: statefile on sr " + after.statefileSr() + ", T = "
                    + settings.timeout().toSeconds() + " s, " + after.hostFailuresToTolerate() + " host failure(s) to tolerate");
        }
        return after;
    }

    @Transactional
    void store(Settings s) {
        PoolHaEntity row = em.find(PoolHaEntity.class, 1, LockModeType.PESSIMISTIC_WRITE);
        row.set(s.enabled(), s.statefileSr(), s.hostFailuresToTolerate());
    }

    private void disableOnHosts() {
        for (HostEntry h : hosts(settings())) {
            try {
                agents.deleteHa(h.agent());
            } catch (RuntimeException e) {
                LOG.warnf("HA: %s did not leave HA (it will when it next hears from the master): %s", h.agent().label(), e.getMessage());
            }
        }
        if (role.clustered()) {
            try {
                role.join(Set.of()); // the hosts leave the quorum of the master instances
            } catch (Exception e) {
                LOG.warnf("HA: the master instances' quorum was not updated: %s", e.getMessage());
            }
        }
        role.leaveUnlessClustered();
    }

    @Transactional
    Settings validate(Settings before, PoolHaRequest request) {
        boolean enabled = request.enabled() == null ? before.enabled() : request.enabled();
        int ftt = request.hostFailuresToTolerate() == null ? before.hostFailuresToTolerate() : request.hostFailuresToTolerate();
        UUID sr = before.statefileSr();
        if (request.statefileSr() != null) {
            sr = findSr(request.statefileSr()).getUuid();
        }
        List<HostEntity> hosts = em.createQuery("select h from HostEntity h order by h.joinedAt", HostEntity.class).getResultList();
        if (ftt < 0 || (enabled && ftt > Math.max(0, hosts.size() - 1))) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, "pool", "hostFailuresToTolerate is " + ftt + ": give 0 to "
                    + Math.max(0, hosts.size() - 1) + " (the pool has " + hosts.size() + " host(s); at least one must survive)");
        }
        if (!enabled) {
            return new Settings(false, sr, ftt);
        }
        if (sr == null) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, "pool", "HA needs a statefile repository: give statefileSr, a shared "
                    + "repository attached on every host");
        }
        StorageRepositoryEntity repo = em.find(StorageRepositoryEntity.class, sr);
        if (!repo.isShared()) {
            throw new MasterException(MasterErrorCode.HA_NOT_POSSIBLE, "sr " + sr, "sr " + repo.getName() + " is a local repository: the "
                    + "statefile needs storage every host reaches over its own path (an nfs repository, for one)");
        }
        Set<UUID> attachedOn = new LinkedHashSet<>();
        for (StorageAttachmentEntity a : em.createQuery("select a from StorageAttachmentEntity a where a.repository.uuid = :sr and a.attached = true",
                StorageAttachmentEntity.class).setParameter("sr", sr).getResultList()) {
            attachedOn.add(a.getHost().getUuid());
        }
        for (HostEntity h : hosts) {
            if (!attachedOn.contains(h.getUuid())) {
                throw new MasterException(MasterErrorCode.HA_NOT_POSSIBLE, "host " + h.getUuid(), "sr " + repo.getName() + " is not attached on "
                        + h.label() + ": attach it there (POST /api/v1/srs/" + sr + "/attach) and enable HA again");
            }
        }
        List<HaPlan.HostLoad> loads = loads();
        int max = HaPlan.maxTolerable(loads);
        if (ftt > max) {
            throw new MasterException(MasterErrorCode.HA_PLAN_VIOLATED, "pool", "the pool can restart its protected VMs after at most " + max
                    + " host failure(s), not " + ftt + " (" + HaPlan.describe(loads, names()) + "): free memory, add hosts, lower some "
                    + "VMs' restart priority to best-effort, or ask for fewer failures to tolerate");
        }
        return new Settings(true, sr, ftt);
    }

    private StorageRepositoryEntity findSr(String ref) {
        StorageRepositoryEntity repo = null;
        try {
            repo = em.find(StorageRepositoryEntity.class, UUID.fromString(ref));
        } catch (IllegalArgumentException byName) {
            List<StorageRepositoryEntity> named = em.createQuery("select s from StorageRepositoryEntity s where s.name = :n",
                    StorageRepositoryEntity.class).setParameter("n", ref).getResultList();
            repo = named.size() == 1 ? named.get(0) : null;
        }
        if (repo == null) {
            throw new MasterException(MasterErrorCode.SR_NOT_FOUND, "sr " + ref, "no storage repository '" + ref + "' (list them with GET /api/v1/srs)");
        }
        return repo;
    }

    /** Every host with the HA config it should have now (protected VMs: those resident on it). */
    @Transactional
    public List<HostEntry> hosts(Settings s) {
        List<HostEntity> all = em.createQuery("select h from HostEntity h order by h.joinedAt", HostEntity.class).getResultList();
        Map<UUID, List<UUID>> protectedOn = new HashMap<>();
        for (Object[] row : em.createQuery("select v.residentOn.uuid, v.uuid from VmEntity v, VmHaEntity h where h.vmUuid = v.uuid"
                + " and h.restartPriority <> 'none' and v.residentOn is not null order by v.uuid", Object[].class).getResultList()) {
            protectedOn.computeIfAbsent((UUID) row[0], k -> new ArrayList<>()).add((UUID) row[1]);
        }
        List<String> quorum = new ArrayList<>(role.masterMembers());
        List<String> addresses = new ArrayList<>(role.masterAddresses());
        for (HostEntity h : all) {
            quorum.add("host/" + h.getUuid());
            addresses.add(clusterAddress(h));
        }
        List<HostEntry> out = new ArrayList<>();
        for (HostEntity h : all) {
            HaConfig config = new HaConfig(true, (int) settings.timeout().toSeconds(), h.view().address(), settings.hostPort(), addresses,
                    quorum, s.statefileSr(), protectedOn.getOrDefault(h.getUuid(), List.of()), role.epoch());
            out.add(new HostEntry(h.getUuid(), h.label(), clusterAddress(h), config, h.agent(), h.getHealth(), h.isEnabled()));
        }
        return out;
    }

    private String clusterAddress(HostEntity h) {
        return h.view().address() + "[" + settings.hostPort() + "]";
    }

    /** The hosts as cluster members, for the master's own member. */
    public static Set<MasterRole.HostMember> members(List<HostEntry> hosts) {
        Set<MasterRole.HostMember> out = new LinkedHashSet<>();
        hosts.forEach(h -> out.add(new MasterRole.HostMember(h.uuid().toString(), h.clusterAddress())));
        return out;
    }

    /** The plan's input: every online, enabled host's free memory and the restart-priority VMs resident on it. */
    @Transactional
    public List<HaPlan.HostLoad> loads() {
        Map<UUID, List<Long>> vms = new LinkedHashMap<>();
        for (Object[] row : em.createQuery("select v.residentOn.uuid, v.memoryMiB from VmEntity v, VmHaEntity h where h.vmUuid = v.uuid"
                + " and h.restartPriority = 'restart' and v.residentOn is not null", Object[].class).getResultList()) {
            vms.computeIfAbsent((UUID) row[0], k -> new ArrayList<>()).add(((Number) row[1]).longValue() * MIB);
        }
        List<HaPlan.HostLoad> out = new ArrayList<>();
        for (HostEntity h : em.createQuery("select h from HostEntity h", HostEntity.class).getResultList()) {
            if (h.isEnabled() && h.getHealth() == HostHealth.ONLINE) {
                out.add(new HaPlan.HostLoad(h.getUuid(), h.getMemoryFreeForVmsBytes(), vms.getOrDefault(h.getUuid(), List.of())));
            }
        }
        return out;
    }

    private Map<UUID, String> names() {
        Map<UUID, String> names = new HashMap<>();
        em.createQuery("select h from HostEntity h", HostEntity.class).getResultList().forEach(h -> names.put(h.getUuid(), h.label()));
        return names;
    }

    // ------------------------------------------------------------------ VMs

    public record VmHaRequest(String restartPriority, Integer restartOrder, Integer startDelaySeconds) {
    }

    @Transactional
    public VmHa vmHa(UUID vm) {
        requireVm(vm);
        VmHaEntity row = em.find(VmHaEntity.class, vm);
        return row == null ? new VmHa(vm, RestartPriority.NONE, 0, 0, false) : row.view();
    }

    /** Sets a VM's HA policy; refused when it would break the plan (a running VM raised to restart). */
    @Transactional
    public VmHa setVmHa(UUID vm, VmHaRequest request) {
        VmEntity entity = requireVm(vm);
        VmHaEntity row = em.find(VmHaEntity.class, vm, LockModeType.PESSIMISTIC_WRITE);
        VmHa current = row == null ? new VmHa(vm, RestartPriority.NONE, 0, 0, false) : row.view();
        RestartPriority priority;
        try {
            priority = request.restartPriority() == null ? current.restartPriority() : RestartPriority.fromWire(request.restartPriority());
        } catch (IllegalArgumentException e) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, "vm " + vm, entity.label() + ": " + e.getMessage());
        }
        int order = request.restartOrder() == null ? current.restartOrder() : request.restartOrder();
        int delay = request.startDelaySeconds() == null ? current.startDelaySeconds() : request.startDelaySeconds();
        if (order < 0 || order > 1_000_000) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, "vm " + vm, entity.label() + ": restartOrder is " + order + ": give 0 to 1000000 (lower restarts first)");
        }
        if (delay < 0 || delay > 3600) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, "vm " + vm, entity.label() + ": startDelaySeconds is " + delay + ": give 0 to 3600");
        }
        Settings s = settings();
        if (s.enabled() && priority == RestartPriority.RESTART && current.restartPriority() != RestartPriority.RESTART
                && entity.getResidentOn() != null) {
            List<HaPlan.HostLoad> loads = new ArrayList<>();
            for (HaPlan.HostLoad l : loads()) {
                if (l.host().equals(entity.getResidentOn().getUuid())) {
                    List<Long> more = new ArrayList<>(l.protectedVmBytes());
                    more.add(entity.getMemoryMiB() * MIB);
                    loads.add(new HaPlan.HostLoad(l.host(), l.freeBytes(), more));
                } else {
                    loads.add(l);
                }
            }
            int max = HaPlan.maxTolerable(loads);
            if (max < s.hostFailuresToTolerate()) {
                throw new MasterException(MasterErrorCode.HA_PLAN_VIOLATED, "vm " + vm, "protecting " + entity.label() + " would leave the pool "
                        + "able to restart its protected VMs after " + max + " host failure(s), and it is set to tolerate "
                        + s.hostFailuresToTolerate() + ": give it restart priority best-effort, free memory or add hosts, or lower "
                        + "hostFailuresToTolerate (PUT /api/v1/pool/ha)");
            }
        }
        if (row == null) {
            row = new VmHaEntity(vm);
            em.persist(row);
        }
        row.set(priority, order, delay);
        if (!priority.isProtected()) {
            row.pending(false);
        }
        LOG.infof("%s: HA restart priority %s, order %d, start delay %d s", entity.label(), priority.wireName(), order, delay);
        return row.view();
    }

    /**
     * Called when a VM is asked to start: a restart-priority VM that would break the plan is
     * refused (HA's own restarts are not: their VMs are marked pending).
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void checkStart(UUID vm, long memoryMiB, String label) {
        PoolHaEntity pool = em.find(PoolHaEntity.class, 1);
        if (pool == null || !pool.isEnabled() || pool.getHostFailuresToTolerate() == 0) {
            return;
        }
        VmHaEntity row = em.find(VmHaEntity.class, vm);
        if (row == null || row.getRestartPriority() != RestartPriority.RESTART || row.isRestartPending()) {
            return;
        }
        int max = HaPlan.maxTolerableWith(loads(), memoryMiB * MIB);
        if (max < pool.getHostFailuresToTolerate()) {
            throw new MasterException(MasterErrorCode.HA_PLAN_VIOLATED, "vm " + vm, "starting " + label + " (restart priority restart, "
                    + memoryMiB + " MiB) would leave the pool able to restart its protected VMs after " + max + " host failure(s), and "
                    + "it is set to tolerate " + pool.getHostFailuresToTolerate() + ": give the VM restart priority best-effort "
                    + "(PUT /api/v1/vms/" + vm + "/ha), free memory or add hosts, or lower hostFailuresToTolerate (PUT /api/v1/pool/ha)");
        }
    }

    /** The protected VMs (priority restart or best-effort) with their policy, ordered as restarts go. */
    @Transactional
    public List<VmHa> protectedVms() {
        return em.createQuery("select h from VmHaEntity h where h.restartPriority <> 'none'", VmHaEntity.class).getResultList().stream()
                .map(VmHaEntity::view).sorted(RESTART_ORDER).toList();
    }

    /** Restart priority first, then order. */
    static final java.util.Comparator<VmHa> RESTART_ORDER = java.util.Comparator
            .comparing((VmHa v) -> v.restartPriority() == RestartPriority.RESTART ? 0 : 1).thenComparingInt(VmHa::restartOrder)
            .thenComparing(v -> v.vm().toString());

    @Transactional
    public void markPending(java.util.Collection<UUID> vms, boolean pending) {
        for (UUID vm : vms) {
            VmHaEntity row = em.find(VmHaEntity.class, vm, LockModeType.PESSIMISTIC_WRITE);
            if (row != null && row.getRestartPriority().isProtected()) {
                row.pending(pending);
            }
        }
    }

    private VmEntity requireVm(UUID vm) {
        VmEntity entity = em.find(VmEntity.class, vm);
        if (entity == null) {
            throw new MasterException(MasterErrorCode.VM_NOT_FOUND, "vm " + vm, "no VM " + vm + " in the pool");
        }
        return entity;
    }
}
