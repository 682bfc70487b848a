package io.atoll.agent.network;

import io.atoll.network.HostNetworks;
import io.atoll.network.NetworkException;
import io.atoll.node.api.GuestAddress;
import io.atoll.node.api.NetworkSpec;
import io.atoll.node.api.NetworkState;
import io.atoll.node.api.NicSpec;
import io.atoll.node.api.NicSpec.NicMode;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmSpec;
import io.atoll.vm.DiskResolver;
import io.atoll.vm.QemuCommandLine;
import io.atoll.vm.VmManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The node agent's networks and VIFs: realises networks through {@link HostNetworks}, turns a VM's
 * {@code NETWORK} NICs into taps on their bridges each time its QEMU starts (wrapping the disk
 * resolver, the VM runtime's one start/end hook), hot-plugs and unplugs VIFs of running VMs, and
 * adds the guests' DHCP addresses to their VM info.
 *
 * <p>Taps are named from the VM and the NIC id ({@link HostNetworks#tapName}), so the target of a
 * migration makes the same taps, plugged before its QEMU starts listening; the source's go when its
 * QEMU ends.
 */
public final class NetworkService {
    private static final Duration UNPLUG_WAIT = Duration.ofSeconds(10);
    private final HostNetworks networks;

    public NetworkService(HostNetworks networks) {
        this.networks = networks;
    }

    public NetworkState realise(UUID uuid, NetworkSpec spec) {
        return networks.realise(uuid, spec);
    }

    public List<NetworkState> list() {
        return networks.list();
    }

    public NetworkState get(UUID uuid) {
        return networks.get(uuid);
    }

    /** Removes a network, refused while VIFs are plugged into it. */
    public void remove(UUID uuid) {
        NetworkState state = networks.get(uuid);
        if (!state.vifs().isEmpty()) {
            throw new NetworkException(NodeErrorCode.NETWORK_IN_USE, "network " + uuid, "network " + state.spec().bridge()
                    + " (" + uuid + ") still has VIFs " + state.vifs() + ": unplug them or stop their VMs first");
        }
        networks.remove(uuid);
    }

    /** The disk resolver, extended: the NETWORK NICs' taps are plugged after the disks, before QEMU starts. */
    public DiskResolver around(DiskResolver disks) {
        return new DiskResolver() {
            @Override
            public Lease attach(VmSpec spec, String label) {
                return plugAll(disks.attach(spec, label), spec);
            }

            @Override
            public Lease attachIncoming(VmSpec spec, String label) {
                return plugAll(disks.attachIncoming(spec, label), spec);
            }

            @Override
            public Lease adopt(VmSpec spec, String label) {
                return plugAll(disks.adopt(spec, label), spec);
            }

            @Override
            public void ended(VmSpec spec, String label) {
                networks.unplugVifs(HostNetworks.tapPrefix(spec.uuid()));
                disks.ended(spec, label);
            }

            // Disk moves are the disks' business alone. Every method of DiskResolver must be passed on
            // here: a default left in place would silently answer for the real resolver.
            @Override
            public Replacement replace(VmSpec spec, io.atoll.node.api.DiskSpec disk, java.util.Map<String, Object> target, String label) {
                return disks.replace(spec, disk, target, label);
            }
        };
    }

    private DiskResolver.Lease plugAll(DiskResolver.Lease disks, VmSpec spec) {
        String prefix = HostNetworks.tapPrefix(spec.uuid());
        try {
            List<NicSpec> nics = new ArrayList<>();
            for (int i = 0; i < disks.spec().nics().size(); i++) {
                NicSpec nic = disks.spec().nics().get(i);
                String mac = nic.mac() != null ? nic.mac() : QemuCommandLine.derivedMac(spec, i);
                nics.add(nic.mode() == NicMode.NETWORK ? plug(spec.uuid(), nic.withMac(mac)) : nic);
            }
            VmSpec resolved = disks.spec().withNics(nics);
            return DiskResolver.Lease.of(resolved, () -> {
                networks.unplugVifs(prefix);
                disks.release();
            });
        } catch (RuntimeException e) {
            networks.unplugVifs(prefix);
            disks.release();
            throw e;
        }
    }

    /** Plugs the tap of a NETWORK NIC (with its MAC set) and answers the TAP NIC QEMU opens. */
    private NicSpec plug(UUID vm, NicSpec nic) {
        String tap = HostNetworks.tapName(vm, nic.id());
        networks.plugVif(nic.network(), tap, nic.mac(), nic.rateKbit());
        return new NicSpec(nic.id(), nic.mac(), NicMode.TAP, tap, nic.model());
    }

    /** Hot-plugs a NIC into a running VM; a NETWORK NIC's tap is made first and removed again should QEMU refuse. */
    public VmInfo hotPlug(VmManager vms, UUID uuid, NicSpec nic) {
        VmInfo vm = vms.get(uuid);
        if (vm.powerState() != io.atoll.node.api.VmPowerState.RUNNING && vm.powerState() != io.atoll.node.api.VmPowerState.PAUSED) {
            throw new io.atoll.vm.NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, "vm " + uuid, "vm " + vm.name() + " is "
                    + vm.powerState().name().toLowerCase(java.util.Locale.ROOT)
                    + ": hot plug needs a running or paused VM (a halted VM's NICs are changed in its spec)");
        }
        VmSpec spec = vm.spec();
        NicSpec fixed = nic.mac() != null ? nic : nic.withMac(QemuCommandLine.derivedMac(spec, spec.nics().size()));
        if (fixed.mode() == NicMode.USER) {
            throw new IllegalArgumentException("nic " + nic.id() + ": only NETWORK and TAP nics can be hot-plugged");
        }
        if (fixed.mode() == NicMode.TAP) {
            return vms.addNic(uuid, fixed, fixed);
        }
        if (spec.nics().stream().anyMatch(n -> n.id().equals(nic.id()))) {
            throw new IllegalArgumentException("vm " + uuid + " already has a nic " + nic.id() + ": choose another id");
        }
        NicSpec backend = plug(uuid, fixed);
        try {
            return vms.addNic(uuid, fixed, backend);
        } catch (RuntimeException e) {
            networks.unplugVif(backend.ifname());
            throw e;
        }
    }

    /** Unplugs a NIC from a running VM; a NETWORK NIC's tap goes too, which ends its traffic at once. */
    public VmInfo hotUnplug(VmManager vms, UUID uuid, String nicId) {
        VmInfo info = vms.removeNic(uuid, nicId, UNPLUG_WAIT);
        networks.unplugVif(HostNetworks.tapName(uuid, nicId));
        return info;
    }

    /** The VM with the addresses this host's DHCP services leased to its NICs. */
    public VmInfo withAddresses(VmInfo vm) {
        List<String> macs = new ArrayList<>();
        for (int i = 0; i < vm.spec().nics().size(); i++) {
            NicSpec nic = vm.spec().nics().get(i);
            macs.add(nic.mac() != null ? nic.mac() : QemuCommandLine.derivedMac(vm.spec(), i));
        }
        if (macs.isEmpty()) {
            return vm;
        }
        List<GuestAddress> found = networks.addressesOf(macs);
        return found.isEmpty() ? vm : vm.withAddresses(found);
    }
}
