package io.atoll.node.api;

import java.util.UUID;

/**
 * What a host offers for running VMs, read when asked.
 *
 * @param hostUuid the host's identity: created by its agent at first start and kept in the agent's
 *     host-uuid file, so it survives restarts and address changes. The pool master uses it as the
 *     host's uuid. {@code null} only from agents older than this field.
 * @param hostname the host's name
 * @param cpuCount logical CPUs online
 * @param cpuModel the CPU model name
 * @param memoryTotalBytes physical memory
 * @param memoryFreeBytes memory the kernel reports free (sysinfo)
 * @param memoryAvailableBytes memory available for new processes without swapping (MemAvailable)
 * @param memoryFreeForVmsBytes what the agent will still give to new VMs: available memory less the
 *     memory already promised to running VMs and the host's reserve
 * @param runDirFreeBytes free space of the file system holding the VMs' runtime and state files
 * @param kvm what /dev/kvm offers
 * @param defaultAccelerator what {@code AUTO} resolves to on this host
 * @param qemuVersion the QEMU version the agent runs
 * @param runningVms number of VMs with a QEMU process
 */
public record HostFacts(UUID hostUuid, String hostname, int cpuCount, String cpuModel, long memoryTotalBytes,
                        long memoryFreeBytes, long memoryAvailableBytes, long memoryFreeForVmsBytes,
                        long runDirFreeBytes, KvmInfo kvm, Accelerator defaultAccelerator, String qemuVersion,
                        int runningVms) {

    /**
     * @param present whether /dev/kvm exists and opens
     * @param apiVersion KVM_GET_API_VERSION, or -1
     * @param usable whether guests would run at hardware speed under it
     * @param reason why it is or is not usable, for the administrator
     */
    public record KvmInfo(boolean present, int apiVersion, boolean usable, String reason) {
    }
}
