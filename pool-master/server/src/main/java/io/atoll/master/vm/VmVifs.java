package io.atoll.master.vm;

import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.network.Macs;
import io.atoll.master.network.NetworkEntity;
import io.atoll.master.network.NetworkService;
import io.atoll.master.task.TaskService;
import io.atoll.node.api.NicSpec;
import io.atoll.node.api.NicSpec.NicMode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import jakarta.transaction.Transactional.TxType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A VM's VIFs in the pool database: networks given by name or uuid resolved, MACs chosen once
 * (unique in the pool) for NICs on networks, and the outcome of a plug or unplug recorded with the
 * VM's lock released and its task ended in one transaction (as {@link VmService} does for the
 * other operations).
 */
@ApplicationScoped
public class VmVifs {

    @Inject
    EntityManager em;

    @Inject
    NetworkService networks;

    @Inject
    TaskService tasks;

    @Inject
    EventLog events;

    /** A create request with its NICs' networks resolved to uuids and their MACs fixed. Inside the create's transaction. */
    VmCreateRequest resolve(VmCreateRequest request) {
        Set<String> macs = new HashSet<>();
        List<VmNicRequest> out = new ArrayList<>();
        for (VmNicRequest n : request.nics()) {
            if (n.mode() != NicMode.NETWORK) {
                out.add(n);
                continue;
            }
            NetworkEntity network = networks.byReference(n.network());
            String mac = n.mac() != null ? n.mac().toLowerCase(java.util.Locale.ROOT) : freeMac(macs);
            refuseTakenMac(mac, "vm " + request.name());
            if (!macs.add(mac)) {
                throw new MasterException(MasterErrorCode.VIF_TAKEN, null, "vm " + request.name() + ": MAC " + mac
                        + " is given to two NICs: give each its own, or omit it");
            }
            out.add(n.resolved(network.getUuid(), mac));
        }
        return request.withNics(out);
    }

    /** The networks a resolved request's NICs are on, for the VM's entity. */
    Map<UUID, NetworkEntity> networksOf(io.atoll.node.api.VmSpec spec) {
        Map<UUID, NetworkEntity> out = new HashMap<>();
        for (NicSpec n : spec.nics()) {
            if (n.network() != null) {
                out.put(n.network(), networks.byReference(n.network().toString()));
            }
        }
        return out;
    }

    private String freeMac(Set<String> alsoTaken) {
        while (true) {
            String mac = Macs.random();
            Long users = em.createQuery("select count(v) from VifEntity v where v.mac = :m", Long.class).setParameter("m", mac)
                    .getSingleResult();
            if (users == 0 && !alsoTaken.contains(mac)) {
                return mac;
            }
        }
    }

    private void refuseTakenMac(String mac, String who) {
        List<String> users = em.createQuery("select v.vm.name from VifEntity v where v.mac = :m and v.vm.kind <> :snapshot", String.class)
                .setParameter("m", mac).setParameter("snapshot", VmKind.SNAPSHOT).getResultList();
        if (!users.isEmpty()) {
            throw new MasterException(MasterErrorCode.VIF_TAKEN, null, who + ": MAC " + mac + " is a VIF of vm " + users.get(0)
                    + " already: give another MAC, or omit it for a fresh one");
        }
    }

    /**
     * The NIC a plug will add: network resolved, id ({@code nicN}, the first free) and MAC chosen,
     * checked against the VM's other VIFs — so a bad request is refused before a task exists.
     */
    @Transactional
    public NicSpec prepare(UUID vm, VmNicRequest request) {
        VmEntity entity = em.find(VmEntity.class, vm);
        if (entity == null) {
            throw new MasterException(MasterErrorCode.VM_NOT_FOUND, "vm " + vm, "vm " + vm + " does not exist");
        }
        if (request.network() == null || request.mode() != NicMode.NETWORK) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, entity.label(), "a VIF plug needs 'network' (a pool network's uuid or name);"
                    + " USER and TAP NICs are given at create");
        }
        NetworkEntity network = networks.byReference(request.network());
        String id = request.id();
        if (id == null) {
            int i = 0;
            while (hasNic(entity, "nic" + i)) {
                i++;
            }
            id = "nic" + i;
        } else if (hasNic(entity, id)) {
            throw new MasterException(MasterErrorCode.VIF_TAKEN, entity.label(), entity.label() + " has a NIC " + id
                    + " already: give another id, or omit it");
        }
        String mac = request.mac() != null ? request.mac().toLowerCase(java.util.Locale.ROOT) : freeMac(Set.of());
        refuseTakenMac(mac, entity.label());
        try {
            return new NicSpec(id, mac, NicMode.NETWORK, null, request.model(), network.getUuid(), request.rateKbit());
        } catch (IllegalArgumentException e) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, entity.label(), entity.label() + ": " + e.getMessage());
        }
    }

    /** Checks that the VM has the NIC an unplug names. */
    @Transactional
    public void checkUnplug(UUID vm, String id) {
        VmEntity entity = em.find(VmEntity.class, vm);
        if (entity == null) {
            throw new MasterException(MasterErrorCode.VM_NOT_FOUND, "vm " + vm, "vm " + vm + " does not exist");
        }
        if (!hasNic(entity, id)) {
            throw new MasterException(MasterErrorCode.VIF_NOT_FOUND, entity.label(), entity.label() + " has no NIC " + id
                    + ": its NICs are " + entity.getNics().stream().map(VifEntity::getDeviceId).toList());
        }
    }

    private static boolean hasNic(VmEntity vm, String id) {
        return vm.getNics().stream().anyMatch(n -> n.getDeviceId().equals(id));
    }

    /** Records a plug: the VIF added, the lock released, the task done with the VM. */
    @Transactional(TxType.REQUIRES_NEW)
    Vm plugged(UUID uuid, UUID task, NicSpec nic) {
        VmEntity vm = em.find(VmEntity.class, uuid, LockModeType.PESSIMISTIC_WRITE);
        if (hasNic(vm, nic.id())) {
            throw new MasterException(MasterErrorCode.VIF_TAKEN, vm.label(), vm.label() + " has a NIC " + nic.id() + " already");
        }
        vm.addNic(nic, networks.byReference(nic.network().toString()));
        return done(vm, task);
    }

    /** Records an unplug: the VIF gone, the lock released, the task done with the VM. */
    @Transactional(TxType.REQUIRES_NEW)
    Vm unplugged(UUID uuid, UUID task, String id) {
        VmEntity vm = em.find(VmEntity.class, uuid, LockModeType.PESSIMISTIC_WRITE);
        vm.removeNic(id);
        return done(vm, task);
    }

    private Vm done(VmEntity vm, UUID task) {
        em.flush();
        vm.unlock(task);
        Vm view = vm.view();
        tasks.succeed(task, view);
        events.record(ObjectClass.VM, EventOperation.MOD, vm.getUuid(), view);
        return view;
    }
}
