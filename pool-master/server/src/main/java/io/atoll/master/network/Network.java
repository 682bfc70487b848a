package io.atoll.master.network;

import io.atoll.node.api.NetworkSpec.NetworkType;
import java.util.List;
import java.util.UUID;

/**
 * A network as clients see it.
 *
 * @param uuid its id
 * @param name unique in the pool
 * @param description free text
 * @param type PRIVATE, EXTERNAL or VLAN
 * @param bridge the Linux bridge that carries it on each host
 * @param mtu its MTU, or {@code null} for the hosts' default (the underlay's less 50 bytes for PRIVATE)
 * @param vni PRIVATE: its VXLAN id
 * @param subnet PRIVATE: the guests' subnet
 * @param dhcp PRIVATE: whether hosts serve DHCP from their slices
 * @param pif EXTERNAL, VLAN: the default physical interface
 * @param vlan VLAN: the tag
 * @param hosts the hosts that have it (or are given a PIF for it)
 */
public record Network(UUID uuid, String name, String description, NetworkType type, String bridge, Integer mtu, Integer vni,
                      String subnet, boolean dhcp, String pif, Integer vlan, List<OnHost> hosts) {

    public Network {
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
    }

    /**
     * The network on one host.
     *
     * @param host the host
     * @param realised whether its bridge (tunnel, DHCP) exists there, as far as the master knows
     * @param reason why the last attempt to realise it there failed, or {@code null}
     * @param pif EXTERNAL, VLAN: the physical interface used there
     * @param hostAddress PRIVATE with DHCP: the host's address on the bridge ({@code 10.128.3.2/24})
     * @param rangeStart PRIVATE with DHCP: the first address the host leases
     * @param rangeEnd PRIVATE with DHCP: the last one
     */
    public record OnHost(UUID host, boolean realised, String reason, String pif, String hostAddress, String rangeStart, String rangeEnd) {
    }
}
