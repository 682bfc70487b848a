package io.atoll.master.vm;

import io.atoll.master.host.HostHealth;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.DiskSpec.DiskBus;
import io.atoll.node.api.NicSpec.NicMode;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.atoll.node.api.VmPowerState;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A VM as clients see it.
 *
 * @param uuid the VM's id, also its id on the host running it
 * @param name unique among the pool's VMs and templates (a snapshot's among its VM's snapshots)
 * @param kind {@code vm}, {@code template} or {@code snapshot}
 * @param vcpus virtual CPUs
 * @param memoryMiB guest memory
 * @param boot direct kernel boot, or {@code null} to boot from the disks by boot index
 * @param accelerator how its guest code runs
 * @param machine QEMU machine type
 * @param disks its disks (XAPI's VBDs), in order
 * @param nics its network interfaces (VIFs), in order; {@code addresses} lists the guest's addresses on them
 * @param powerState HALTED, RUNNING, PAUSED, SUSPENDED or CRASHED
 * @param residentOn the host it runs on, is suspended on or crashed on; {@code null} when halted
 * @param residentOnHealth that host's health: UNREACHABLE means the power state is the last one
 *     known, not confirmed; {@code null} when halted
 * @param alsoRunningOn a second host found running this VM (by its uuid) while it is recorded on
 *     {@code residentOn}: two copies exist and an administrator (or HA fencing) must stop one;
 *     {@code null} normally. Nothing is killed automatically.
 * @param currentOperation the operation in progress and its task, or {@code null}
 * @param allowedOperations what may be asked now
 * @param snapshotOf for a snapshot, the VM it was taken of ({@code null} once that VM is destroyed)
 * @param snapshotAt for a snapshot, when it was taken
 * @param created when it was created
 */
public record Vm(UUID uuid, String name, VmKind kind, int vcpus, long memoryMiB, BootSpec boot, Accelerator accelerator, String machine,
                 List<Disk> disks, List<Nic> nics, VmPowerState powerState, UUID residentOn,
                 HostHealth residentOnHealth, UUID alsoRunningOn, CurrentOperation currentOperation,
                 List<VmOperation> allowedOperations, UUID snapshotOf, Instant snapshotAt, Instant created) {
    public Vm {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(powerState, "powerState");
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
        allowedOperations = List.copyOf(allowedOperations);
    }

    /**
     * A disk of the VM.
     *
     * @param id device id in the VM ({@code disk0})
     * @param path the image file on the hosts, for a disk given by path
     * @param virtualDisk the virtual disk, for a disk from a storage repository
     * @param format {@code raw} or {@code qcow2}
     * @param bootIndex firmware boot order, or {@code null}
     * @param readOnly whether the guest may write
     * @param bus how the guest sees it
     */
    public record Disk(String id, String path, UUID virtualDisk, String format, Integer bootIndex, boolean readOnly, DiskBus bus) {
    }

    /**
     * A network interface of the VM.
     *
     * @param id device id in the VM ({@code nic0})
     * @param mac its MAC address, or {@code null} for one derived from the VM's uuid by the host
     * @param mode {@code USER} (QEMU's NAT) or {@code TAP}
     * @param ifname the tap device, for {@code TAP}
     * @param model the emulated NIC
     * @param network the pool network, for {@code NETWORK}
     * @param rateKbit the VIF's rate limit (kbit/s each way), or {@code null}
     * @param ip the guest's IPv4 address on it, from the hosts' DHCP leases, while the VM runs; {@code null} when unknown
     */
    public record Nic(String id, String mac, NicMode mode, String ifname, String model, UUID network, Integer rateKbit, String ip) {
    }

    /**
     * An address of the guest.
     *
     * @param nic the NIC's device id
     * @param mac its MAC address
     * @param ip the IPv4 address a host's DHCP service leased to it
     */
    public record Address(String nic, String mac, String ip) {
    }

    /** The guest's known addresses, NIC by NIC (what {@code atoll vm list} shows). */
    @JsonProperty("addresses")
    public List<Address> addresses() {
        return nics.stream().filter(n -> n.ip() != null).map(n -> new Address(n.id(), n.mac(), n.ip())).toList();
    }

    /**
     * @param operation what runs on the VM
     * @param task the task to follow for it
     */
    public record CurrentOperation(VmOperation operation, UUID task) {
        public CurrentOperation {
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(task, "task");
        }
    }
}
