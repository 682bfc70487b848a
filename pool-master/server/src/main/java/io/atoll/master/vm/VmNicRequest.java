package io.atoll.master.vm;

import io.atoll.node.api.NicSpec;
import io.atoll.node.api.NicSpec.NicMode;

/**
 * A network interface in a VM create request (networks come later).
 *
 * @param id device id ({@code nic0}); {@code nicN} by position when omitted
 * @param mac MAC address, or omitted for one derived from the VM's uuid
 * @param mode {@code USER} (QEMU's NAT, default) or {@code TAP}
 * @param ifname the existing tap device, for {@code TAP}
 * @param model the emulated NIC ({@code virtio-net-pci} by default)
 */
public record VmNicRequest(String id, String mac, NicMode mode, String ifname, String model) {

    VmNicRequest withId(String newId) {
        return new VmNicRequest(newId, mac, mode, ifname, model);
    }

    /** The agent's form; its constructor checks every field. */
    NicSpec toSpec() {
        return new NicSpec(id, mac, mode, ifname, model);
    }
}
