package io.atoll.vm;

import io.atoll.host.HostProbe;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.HostFacts;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a VM may be defined or started on this host: an accelerator the host has, files that
 * exist, memory that is free. Each refusal names the VM and what to change.
 */
final class Admission {
    private final NodeConfig config;
    private final HostProbe probe;

    Admission(NodeConfig config, HostProbe probe) {
        this.config = config;
        this.probe = probe;
    }

    /** The accelerator QEMU will use; KVM asked where it is unusable is refused with the reason. */
    Accelerator accelerator(VmSpec spec) {
        Accelerator accel = probe.resolve(spec.accelerator());
        if (accel == Accelerator.KVM) {
            HostFacts.KvmInfo kvm = probe.kvm();
            if (!kvm.usable()) {
                throw new NodeException(NodeErrorCode.ACCELERATOR_UNAVAILABLE, "vm " + spec.name(), "vm " + spec.name()
                        + " asks for KVM, which is unusable on this host (" + kvm.reason() + "): set its accelerator to auto or tcg");
            }
        }
        return accel;
    }

    /** The disk files and boot files the spec names exist on this host. */
    static void files(VmSpec spec) {
        for (DiskSpec disk : spec.disks()) {
            String path = disk.localPath();
            if (path != null && !Files.exists(Path.of(path))) {
                throw new NodeException(NodeErrorCode.DISK_NOT_FOUND, "disk " + disk.id(), "vm " + spec.name() + ": disk "
                        + disk.id() + " refers to " + path + ", which does not exist: create the disk or fix its path");
            }
        }
        if (spec.boot() != null) {
            for (String file : new String[] {spec.boot().kernel(), spec.boot().initrd()}) {
                if (file != null && !Files.isRegularFile(Path.of(file))) {
                    throw new NodeException(NodeErrorCode.INVALID_SPEC, "vm " + spec.name(), "vm " + spec.name()
                            + ": boot file " + file + " does not exist on this host: fix the kernel/initrd path");
                }
            }
        }
    }

    /** The VM's memory fits what is free for VMs, given what running VMs were promised. */
    void memory(VmSpec spec, String label, long promised) {
        long free = freeForVms(probe.memory(), promised);
        if (spec.memoryMiB() * 1024 * 1024 > free) {
            throw new NodeException(NodeErrorCode.INSUFFICIENT_MEMORY, label, label + " needs " + spec.memoryMiB()
                    + " MiB but this host has " + free / (1024 * 1024)
                    + " MiB free for VMs: give the VM less memory, or stop other VMs on this host");
        }
    }

    /**
     * Memory a new VM may take: what the kernel has available, less the host reserve, and never more
     * than total memory less the reserve and what running VMs were promised (guests are not
     * pre-faulted, so "available" alone would overcommit).
     */
    long freeForVms(HostProbe.Memory mem, long promised) {
        long reserve = config.hostMemoryReserveMiB() * 1024 * 1024;
        return Math.max(0, Math.min(mem.available() - reserve, mem.total() - reserve - promised));
    }
}
