package io.atoll.master.network;

import io.atoll.node.api.NetworkSpec;
import io.atoll.node.api.NetworkSpec.NetworkType;

/**
 * The body of {@code POST /api/v1/networks}.
 *
 * @param name unique in the pool, 1-64 printable characters
 * @param type {@code PRIVATE} (default: a VXLAN overlay across the hosts), {@code EXTERNAL} (a
 *     physical interface) or {@code VLAN} (a tag on one)
 * @param bridge the bridge's name on the hosts (1-15 characters); {@code xapiN} when omitted
 * @param mtu 576-9000; omitted: the underlay's less 50 bytes (PRIVATE), the PIF's (EXTERNAL, VLAN)
 * @param vni PRIVATE: the VXLAN id, unique in the pool; the lowest free one from
 *     {@code atoll.master.network.first-vni} when omitted
 * @param subnet PRIVATE: the guests' IPv4 subnet ({@code 10.128.3.0/24}), disjoint from every other
 *     private network's; the next free one of {@code atoll.master.network.subnet-pool} when omitted
 * @param dhcp PRIVATE: whether each host serves DHCP from its slice of the subnet (default true)
 * @param pif EXTERNAL, VLAN: the physical interface on the hosts (default {@code eth0}); a host may
 *     name its own ({@code PUT /api/v1/networks/{uuid}/hosts/{host}})
 * @param vlan VLAN: the 802.1q tag, 1-4094
 * @param description free text
 */
public record NetworkCreateRequest(String name, NetworkType type, String bridge, Integer mtu, Integer vni, String subnet, Boolean dhcp,
                                   String pif, Integer vlan, String description) {
    public NetworkCreateRequest {
        if (name == null || name.isBlank() || name.length() > 64 || !name.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw new IllegalArgumentException("network name '" + name + "' is invalid: give 1-64 printable characters");
        }
        if (type == null) {
            type = NetworkType.PRIVATE;
        }
        if (mtu != null && (mtu < 576 || mtu > 9000)) {
            throw new IllegalArgumentException("network " + name + ": MTU " + mtu + " is out of range (576-9000), or omit it for the hosts' default");
        }
        if (bridge != null && !NetworkSpec.IFNAME.matcher(bridge).matches()) {
            throw new IllegalArgumentException("network " + name + ": bridge '" + bridge + "' is not a Linux interface name (1-15 characters)");
        }
        if (description != null && description.length() > 1024) {
            throw new IllegalArgumentException("network " + name + ": the description is longer than 1024 characters");
        }
        if (type == NetworkType.PRIVATE) {
            if (pif != null || vlan != null) {
                throw new IllegalArgumentException("network " + name + ": 'pif' and 'vlan' are for EXTERNAL and VLAN networks; a PRIVATE network "
                        + "is a VXLAN overlay (give 'vni' and 'subnet', or let the master choose them)");
            }
            if (vni != null && (vni < 1 || vni > 16_777_215)) {
                throw new IllegalArgumentException("network " + name + ": VNI " + vni + " is out of range (1-16777215), or omit it for a free one");
            }
            if (subnet != null) {
                Ipv4Subnet.parseNetwork(subnet);
            }
            if (dhcp == null) {
                dhcp = true;
            }
        } else {
            if (vni != null || subnet != null || dhcp != null) {
                throw new IllegalArgumentException("network " + name + ": 'vni', 'subnet' and 'dhcp' are for PRIVATE networks; an " + type
                        + " network joins the hosts' physical interface (and the DHCP of that segment, if any)");
            }
            dhcp = false;
            if (pif == null) {
                pif = "eth0";
            }
            if (!NetworkSpec.IFNAME.matcher(pif).matches()) {
                throw new IllegalArgumentException("network " + name + ": pif '" + pif + "' is not a Linux interface name (1-15 characters)");
            }
            if (type == NetworkType.VLAN && (vlan == null || vlan < 1 || vlan > 4094)) {
                throw new IllegalArgumentException("network " + name + ": a VLAN network needs 'vlan', the 802.1q tag (1-4094)");
            }
            if (type == NetworkType.EXTERNAL && vlan != null) {
                throw new IllegalArgumentException("network " + name + ": 'vlan' is for VLAN networks (give \"type\": \"VLAN\")");
            }
        }
    }
}
