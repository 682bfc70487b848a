package io.atoll.node.api;

import java.util.List;
import java.util.UUID;

/**
 * A network as realised on this host now.
 *
 * @param uuid the network's uuid
 * @param spec what was asked
 * @param mtu the bridge's MTU
 * @param tunnel the VXLAN device ({@code PRIVATE}) or the VLAN device ({@code VLAN}), else {@code null}
 * @param dhcpPid the DHCP server's process id while one runs
 * @param vifs the VIFs (tap devices) on its bridge
 * @param leases the addresses this host's DHCP service has handed out
 */
public record NetworkState(UUID uuid, NetworkSpec spec, int mtu, String tunnel, Long dhcpPid, List<String> vifs,
                           List<GuestAddress> leases) {
    public NetworkState {
        vifs = vifs == null ? List.of() : List.copyOf(vifs);
        leases = leases == null ? List.of() : List.copyOf(leases);
    }
}
