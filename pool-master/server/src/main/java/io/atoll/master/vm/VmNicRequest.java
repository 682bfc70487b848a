package io.atoll.master.vm;

import io.atoll.node.api.NicSpec;
import io.atoll.node.api.NicSpec.NicMode;
import java.util.UUID;

/**
 * A network interface in a VM create request, or the body of a VIF plug.
 *
 * @param id device id ({@code nic0}); {@code nicN} by position when omitted
 * @param mac MAC address; omitted: the master picks one for a NIC on a network and keeps it, the
 *     host derives one from the VM's uuid otherwise
 * @param mode {@code NETWORK} (a VIF on a pool network; implied by {@code network}), {@code USER}
 *     (QEMU's NAT, the default without a network) or {@code TAP}
 * @param ifname the existing tap device, for {@code TAP}
 * @param model the emulated NIC ({@code virtio-net-pci} by default)
 * @param network the pool network, by uuid or name
 * @param rateKbit the VIF's rate limit in kbit/s (each way), for a NIC on a network
 */
public record VmNicRequest(String id, String mac, NicMode mode, String ifname, String model, String network, Integer rateKbit) {

    /** A NIC without a network (USER or TAP). */
    public VmNicRequest(String id, String mac, NicMode mode, String ifname, String model) {
        this(id, mac, mode, ifname, model, null, null);
    }

    public VmNicRequest {
        if (network != null && mode == null) {
            mode = NicMode.NETWORK;
        }
        if (network != null && network.isBlank()) {
            throw new IllegalArgumentException("nic " + id + ": 'network' is blank: give a network's uuid or name");
        }
    }

    VmNicRequest withId(String newId) {
        return new VmNicRequest(newId, mac, mode, ifname, model, network, rateKbit);
    }

    /** The same NIC on a resolved network, with its MAC fixed. */
    VmNicRequest resolved(UUID networkUuid, String fixedMac) {
        return new VmNicRequest(id, fixedMac, mode, ifname, model, networkUuid.toString(), rateKbit);
    }

    /**
     * The agent's form; its constructor checks every field. A network given by name is checked
     * with a stand-in uuid here; the pool master resolves it before the VM is recorded.
     */
    NicSpec toSpec() {
        UUID net = null;
        if (network != null) {
            try {
                net = UUID.fromString(network);
            } catch (IllegalArgumentException byName) {
                net = new UUID(0, 0);
            }
        }
        return new NicSpec(id, mac, mode, ifname, model, net, rateKbit);
    }
}
