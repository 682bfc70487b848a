package io.atoll.node.api;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Everything a host needs to run a VM. The pool master owns it; a host keeps a copy while the VM
 * is placed on it.
 *
 * @param uuid the VM's identity; a random one when omitted
 * @param name a unique name on the host, 1-64 printable characters
 * @param vcpus number of virtual CPUs, 1 to 255
 * @param memoryMiB guest memory in MiB, 16 or more
 * @param boot a direct kernel boot, or {@code null} to boot from the disks by boot index
 * @param disks the disks, in order
 * @param nics the network interfaces, in order
 * @param accelerator how to run guest code; {@code AUTO} when omitted
 * @param machine QEMU machine type, {@code pc} when omitted
 */
public record VmSpec(UUID uuid, String name, int vcpus, long memoryMiB, BootSpec boot,
                     List<DiskSpec> disks, List<NicSpec> nics, Accelerator accelerator, String machine) {

    public static final int MAX_VCPUS = 255;
    public static final long MIN_MEMORY_MIB = 16;

    public VmSpec {
        if (uuid == null) {
            uuid = UUID.randomUUID();
        }
        if (name == null || name.isBlank() || name.length() > 64 || !name.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw new IllegalArgumentException("vm name '" + name + "' is invalid: give 1-64 printable characters");
        }
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new IllegalArgumentException("vm " + name + ": vcpus is " + vcpus + ": set it between 1 and " + MAX_VCPUS);
        }
        if (memoryMiB < MIN_MEMORY_MIB) {
            throw new IllegalArgumentException("vm " + name + ": memoryMiB is " + memoryMiB + ": give at least " + MIN_MEMORY_MIB + " MiB");
        }
        disks = disks == null ? List.of() : List.copyOf(disks);
        nics = nics == null ? List.of() : List.copyOf(nics);
        Set<String> ids = new HashSet<>();
        for (DiskSpec d : disks) {
            if (!ids.add(d.id())) {
                throw new IllegalArgumentException("vm " + name + ": device id '" + d.id() + "' is used twice: give each disk and nic its own id");
            }
        }
        for (NicSpec n : nics) {
            if (!ids.add(n.id())) {
                throw new IllegalArgumentException("vm " + name + ": device id '" + n.id() + "' is used twice: give each disk and nic its own id");
            }
        }
        if (accelerator == null) {
            accelerator = Accelerator.AUTO;
        }
        if (machine == null || machine.isBlank()) {
            machine = "pc";
        } else if (!machine.matches("[a-z0-9.-]{1,40}")) {
            throw new IllegalArgumentException("vm " + name + ": machine type '" + machine + "' is invalid (e.g. pc, q35, pc-i440fx-7.2)");
        }
    }

    /** This spec with every disk secret shown as {@code ***}: for answers and logs. */
    public VmSpec redacted() {
        if (disks.stream().allMatch(d -> d.secrets().isEmpty())) {
            return this;
        }
        return new VmSpec(uuid, name, vcpus, memoryMiB, boot, disks.stream().map(DiskSpec::redacted).toList(), nics,
                accelerator, machine);
    }

    /** A copy whose disk of the same id is {@code disk} (a disk moved to another repository). */
    public VmSpec withDisk(DiskSpec disk) {
        if (disks.stream().noneMatch(d -> d.id().equals(disk.id()))) {
            throw new IllegalArgumentException("vm " + name + " has no disk " + disk.id());
        }
        return new VmSpec(uuid, name, vcpus, memoryMiB, boot, disks.stream().map(d -> d.id().equals(disk.id()) ? disk : d).toList(),
                nics, accelerator, machine);
    }

    /** A copy with another name and uuid, same hardware. */
    public VmSpec withIdentity(UUID newUuid, String newName) {
        return new VmSpec(newUuid, newName, vcpus, memoryMiB, boot, disks, nics, accelerator, machine);
    }

    /** This VM with other NICs (a hot plug or unplug). */
    public VmSpec withNics(List<NicSpec> newNics) {
        return new VmSpec(uuid, name, vcpus, memoryMiB, boot, disks, newNics, accelerator, machine);
    }
}
