package io.atoll.master.vm;

import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.host.HostEntity;
import io.atoll.master.host.HostHealth;
import io.atoll.master.storage.StorageRepositoryEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Chooses the host a VM starts on: an enabled, ONLINE host where every storage repository of the
 * VM's disks is attached and whose free memory for VMs covers the
 * VM's, the one with the most free memory (spreading load), or the host the caller named. Free
 * memory is the agent's figure at the last poll less what starts in progress were promised there.
 * The chosen host's row is locked while the VM is scheduled on it, as eject locks it, and its
 * free memory is checked again under that lock, so concurrent starts do not count on the same
 * memory. The agent's own admission check stays the final word.
 */
@ApplicationScoped
public class Placement {
    private static final long MIB = 1L << 20;
    private static final UUID NIL = new UUID(0, 0);

    @Inject
    EntityManager em;

    /** Schedules the VM on a host and answers that host's agent. */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public AgentEndpoint place(UUID vmUuid, UUID requested) {
        return place(vmUuid, requested, null);
    }

    /** The same, never on {@code excluded} (a migration's source). */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public AgentEndpoint place(UUID vmUuid, UUID requested, UUID excluded) {
        return place(vmUuid, requested, excluded, null);
    }

    /**
     * The same; with {@code disksMoveTo} (a storage migration) the host must see that repository
     * rather than the ones the VM's disks are in now.
     */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public AgentEndpoint place(UUID vmUuid, UUID requested, UUID excluded, UUID disksMoveTo) {
        return place(vmUuid, requested, excluded == null ? Set.of() : Set.of(excluded), disksMoveTo);
    }

    /** The same, never on any of {@code excluded} (hosts that refused the VM already). */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public AgentEndpoint place(UUID vmUuid, UUID requested, Set<UUID> excluded, UUID disksMoveTo) {
        // The VM first, then a host: the order every writer of both follows.
        VmEntity vm = em.find(VmEntity.class, vmUuid, LockModeType.PESSIMISTIC_WRITE);
        long need = vm.getMemoryMiB() * MIB;
        if (requested != null) {
            HostEntity host = em.find(HostEntity.class, requested, LockModeType.PESSIMISTIC_WRITE);
            if (host == null) {
                throw new MasterException(MasterErrorCode.HOST_NOT_FOUND, "host " + requested, "host " + requested + " is not in the pool");
            }
            if (excluded.contains(requested)) {
                throw new MasterException(MasterErrorCode.HOST_NOT_AVAILABLE, "host " + requested, vm.label() + " runs on "
                        + host.label() + " already: name another host");
            }
            String refusal = refusal(host, need, promisedOn(host, vm), storage(vm, disksMoveTo).missingOn(host.getUuid()));
            if (refusal != null) {
                throw new MasterException(MasterErrorCode.HOST_NOT_AVAILABLE, "host " + requested, "cannot start " + vm.label() + " on "
                        + host.label() + ": " + refusal);
            }
            vm.scheduleOn(host);
            return host.agent();
        }
        // Candidates as a projection (no entity per host), most free memory first; only the chosen one is locked and loaded.
        List<Candidate> hosts = new ArrayList<>();
        for (Object[] row : em.createQuery("select h.uuid, h.name, h.enabled, h.health, h.memoryFreeForVmsBytes from HostEntity h",
                Object[].class).getResultList()) {
            if (!excluded.contains(row[0])) {
                hosts.add(new Candidate((UUID) row[0], (String) row[1], (Boolean) row[2], (HostHealth) row[3], (Long) row[4]));
            }
        }
        if (hosts.isEmpty()) {
            throw new MasterException(MasterErrorCode.NO_HOST_AVAILABLE, "vm " + vmUuid, "cannot place " + vm.label()
                    + (excluded.isEmpty() ? ": the pool has no hosts; join one with POST /api/v1/hosts" : ": the pool has no other host"));
        }
        Storage storage = storage(vm, disksMoveTo);
        Map<UUID, Long> promised = promisedByHost(vmUuid);
        hosts.sort(Comparator.comparingLong((Candidate h) -> h.free() - promised.getOrDefault(h.uuid(), 0L)).reversed());
        List<String> reasons = new ArrayList<>();
        for (Candidate candidate : hosts) {
            String missing = storage.missingOn(candidate.uuid());
            String refusal = refusal(candidate.enabled(), candidate.health(), candidate.free(), need,
                    promised.getOrDefault(candidate.uuid(), 0L), missing);
            if (refusal == null) {
                // Again under the host's lock: a concurrent start may have been scheduled there meanwhile.
                HostEntity host = em.find(HostEntity.class, candidate.uuid(), LockModeType.PESSIMISTIC_WRITE);
                if (host == null) {
                    refusal = "ejected meanwhile";
                } else {
                    em.refresh(host);
                    refusal = refusal(host, need, promisedOn(host, vm), missing);
                    if (refusal == null) {
                        vm.scheduleOn(host);
                        return host.agent();
                    }
                }
            }
            reasons.add("host " + candidate.uuid() + " (" + candidate.name() + "): " + refusal);
        }
        throw new MasterException(MasterErrorCode.NO_HOST_AVAILABLE, "vm " + vmUuid, "no host can start " + vm.label() + " ("
                + vm.getMemoryMiB() + " MiB): " + String.join("; ", reasons.subList(0, Math.min(10, reasons.size())))
                + (reasons.size() > 10 ? "; and " + (reasons.size() - 10) + " more" : ""));
    }

    /** A host as placement first reads it. */
    private record Candidate(UUID uuid, String name, boolean enabled, HostHealth health, long free) {
    }

    /**
     * Memory promised to starts in progress (other than {@code vmUuid}'s), by host. The range
     * condition on {@code scheduled_on} (every uuid is at least the nil uuid, in H2 and in
     * PostgreSQL) lets the database read only the scheduled VMs from the {@code vm_scheduled_on}
     * index, where {@code is not null} made H2 walk every VM of the pool for each start.
     */
    private Map<UUID, Long> promisedByHost(UUID vmUuid) {
        Map<UUID, Long> promised = new HashMap<>();
        for (Object[] row : em.createQuery("select v.scheduledOn.uuid, sum(v.memoryMiB) from VmEntity v where v.scheduledOn.uuid >= :nil"
                + " and v.uuid <> :vm group by v.scheduledOn.uuid", Object[].class).setParameter("nil", NIL).setParameter("vm", vmUuid)
                .getResultList()) {
            promised.put((UUID) row[0], ((Number) row[1]).longValue() * MIB);
        }
        return promised;
    }

    /** Why the host cannot take the VM now, or {@code null} when it can. */
    private static String refusal(HostEntity host, long need, long promised, String missingStorage) {
        return refusal(host.isEnabled(), host.getHealth(), host.getMemoryFreeForVmsBytes(), need, promised, missingStorage);
    }

    private static String refusal(boolean enabled, HostHealth health, long freeForVms, long need, long promised, String missingStorage) {
        if (!enabled) {
            return "disabled";
        }
        if (health != HostHealth.ONLINE) {
            return "unreachable";
        }
        if (missingStorage != null) {
            return missingStorage;
        }
        long free = freeForVms - promised;
        if (free < need) {
            return Math.max(0, free / MIB) + " MiB free for VMs, the VM needs " + (need / MIB) + " MiB";
        }
        return null;
    }

    /** The repositories of the VM's disks and the hosts where each is attached. */
    private record Storage(Map<UUID, String> names, Map<UUID, Set<UUID>> attachedOn) {
        /** What the host does not see of the VM's storage, or {@code null}. */
        String missingOn(UUID host) {
            List<String> missing = new ArrayList<>();
            names.forEach((sr, name) -> {
                if (!attachedOn.getOrDefault(sr, Set.of()).contains(host)) {
                    missing.add(name);
                }
            });
            return missing.isEmpty() ? null : "storage repository " + String.join(", ", missing) + " is not attached there";
        }
    }

    private Storage storage(VmEntity vm, UUID disksMoveTo) {
        Map<UUID, String> names = new HashMap<>();
        if (disksMoveTo != null) {
            StorageRepositoryEntity sr = em.find(StorageRepositoryEntity.class, disksMoveTo);
            if (sr == null) {
                throw new MasterException(MasterErrorCode.SR_NOT_FOUND, "sr " + disksMoveTo, "storage repository " + disksMoveTo + " does not exist");
            }
            names.put(sr.getUuid(), sr.getName());
        }
        for (Object[] row : disksMoveTo != null ? List.<Object[]>of() : em.createQuery("select distinct d.virtualDisk.repository.uuid, d.virtualDisk.repository.name from VmDiskEntity d"
                + " where d.vm = :vm and d.virtualDisk is not null", Object[].class).setParameter("vm", vm).getResultList()) {
            names.put((UUID) row[0], (String) row[1]);
        }
        Map<UUID, Set<UUID>> attachedOn = new HashMap<>();
        if (!names.isEmpty()) {
            for (Object[] row : em.createQuery("select a.repository.uuid, a.host.uuid from StorageAttachmentEntity a where a.attached = true"
                    + " and a.repository.uuid in :srs", Object[].class).setParameter("srs", names.keySet()).getResultList()) {
                attachedOn.computeIfAbsent((UUID) row[0], k -> new HashSet<>()).add((UUID) row[1]);
            }
        }
        return new Storage(names, attachedOn);
    }

    /** Memory promised on the host to other VMs whose start is in progress. */
    private long promisedOn(HostEntity host, VmEntity vm) {
        Long mib = em.createQuery("select coalesce(sum(v.memoryMiB), 0) from VmEntity v where v.scheduledOn = :host and v.uuid <> :vm",
                Long.class).setParameter("host", host).setParameter("vm", vm.getUuid()).getSingleResult();
        return mib * MIB;
    }
}
