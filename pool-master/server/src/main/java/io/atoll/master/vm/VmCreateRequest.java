package io.atoll.master.vm;

import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.VmSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The body of {@code POST /api/v1/vms}. Checked here with the agent's own rules (by building the
 * {@link VmSpec} a host will receive), so a VM the master accepts is one a host accepts.
 *
 * @param name unique in the pool, 1-64 printable characters
 * @param vcpus 1 to 255 (default 1)
 * @param memoryMiB 16 or more
 * @param boot direct kernel boot, or omitted to boot from the disks
 * @param disks virtual disks, new disks in a repository or image files, in order
 * @param nics network interfaces, in order
 * @param accelerator {@code AUTO} (default), {@code KVM} or {@code TCG}
 * @param machine QEMU machine type ({@code pc} by default)
 */
public record VmCreateRequest(String name, Integer vcpus, Long memoryMiB, BootSpec boot, List<VmDiskRequest> disks,
                              List<VmNicRequest> nics, Accelerator accelerator, String machine) {
    public VmCreateRequest {
        if (vcpus == null) {
            vcpus = 1;
        }
        if (memoryMiB == null) {
            throw new IllegalArgumentException("vm " + name + ": memoryMiB is required (at least " + VmSpec.MIN_MEMORY_MIB + ")");
        }
        List<VmDiskRequest> named = new ArrayList<>();
        for (VmDiskRequest d : disks == null ? List.<VmDiskRequest>of() : disks) {
            if (d == null) {
                throw new IllegalArgumentException("vm " + name + ": a disk is null");
            }
            named.add(d.id() == null ? d.withId("disk" + named.size()) : d);
        }
        disks = List.copyOf(named);
        List<VmNicRequest> namedNics = new ArrayList<>();
        for (VmNicRequest n : nics == null ? List.<VmNicRequest>of() : nics) {
            if (n == null) {
                throw new IllegalArgumentException("vm " + name + ": a nic is null");
            }
            namedNics.add(n.id() == null ? n.withId("nic" + namedNics.size()) : n);
        }
        nics = List.copyOf(namedNics);
        if (accelerator == null) {
            accelerator = Accelerator.AUTO;
        }
        toSpec(UUID.randomUUID(), name, vcpus, memoryMiB, boot, disks, nics, accelerator, machine);
    }

    /** The same request with other disks (new disks replaced by the virtual disks made for them). */
    VmCreateRequest withDisks(List<VmDiskRequest> newDisks) {
        return new VmCreateRequest(name, vcpus, memoryMiB, boot, newDisks, nics, accelerator, machine);
    }

    /** The same request with other NICs (networks resolved, MACs fixed). */
    VmCreateRequest withNics(List<VmNicRequest> newNics) {
        return new VmCreateRequest(name, vcpus, memoryMiB, boot, disks, newNics, accelerator, machine);
    }

    /** The spec a host receives for this VM. */
    VmSpec toSpec(UUID uuid) {
        return toSpec(uuid, name, vcpus, memoryMiB, boot, disks, nics, accelerator, machine);
    }

    private static VmSpec toSpec(UUID uuid, String name, int vcpus, long memoryMiB, BootSpec boot, List<VmDiskRequest> disks,
                                 List<VmNicRequest> nics, Accelerator accelerator, String machine) {
        return new VmSpec(uuid, name, vcpus, memoryMiB, boot, disks.stream().map(VmDiskRequest::toSpec).toList(),
                nics.stream().map(VmNicRequest::toSpec).toList(), accelerator, machine);
    }
}
