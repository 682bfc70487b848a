package io.atoll.node.api;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A network as one host realises it ({@code PUT /api/v1/networks/{uuid}}): a Linux bridge, and
 * behind it a VXLAN overlay to the other hosts ({@code PRIVATE}), a physical interface
 * ({@code EXTERNAL}) or a VLAN on one ({@code VLAN}, where the kernel has 802.1q).
 *
 * @param bridge the bridge's name on this host (1-15 letters, digits, {@code _ . -})
 * @param type what joins the bridge to the world
 * @param vni the VXLAN network identifier, {@code PRIVATE} only (1-16777215)
 * @param dstPort the VXLAN UDP port, 4789 by default
 * @param localAddress this host's management address, the VXLAN tunnel's source ({@code PRIVATE})
 * @param peers the other hosts' management addresses ({@code PRIVATE}); may be empty
 * @param mtu the MTU of the bridge and its VIFs; {@code null}: the underlay's less 50 bytes of
 *     VXLAN overhead for {@code PRIVATE}, the physical interface's otherwise
 * @param pif the physical interface ({@code EXTERNAL}, {@code VLAN})
 * @param vlan the 802.1q tag ({@code VLAN}, 1-4094)
 * @param dhcp this host's DHCP service on the network, or {@code null} for none
 */
public record NetworkSpec(String bridge, NetworkType type, Integer vni, Integer dstPort, String localAddress,
                          List<String> peers, Integer mtu, String pif, Integer vlan, DhcpSpec dhcp) {

    /** A Linux interface name: at most 15 bytes, no '/', no blanks. */
    public static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");

    /** What joins the bridge to the world. */
    public enum NetworkType { PRIVATE, EXTERNAL, VLAN }

    public NetworkSpec {
        if (bridge == null || !IFNAME.matcher(bridge).matches()) {
            throw new IllegalArgumentException("bridge '" + bridge + "' is invalid: use 1-15 letters, digits, '_', '.' or '-'");
        }
        if (type == null) {
            throw new IllegalArgumentException("network " + bridge + ": 'type' is required (PRIVATE, EXTERNAL or VLAN)");
        }
        peers = peers == null ? List.of() : List.copyOf(peers);
        if (dstPort == null) {
            dstPort = 4789;
        }
        if (dstPort < 1 || dstPort > 65535) {
            throw new IllegalArgumentException("network " + bridge + ": dstPort " + dstPort + " is not a UDP port");
        }
        if (mtu != null && (mtu < 576 || mtu > 9000)) {
            throw new IllegalArgumentException("network " + bridge + ": mtu " + mtu + " is out of range (576-9000)");
        }
        switch (type) {
            case PRIVATE -> {
                if (vni == null || vni < 1 || vni > 16_777_215) {
                    throw new IllegalArgumentException("network " + bridge + ": a PRIVATE network needs 'vni' (1-16777215)");
                }
                if (!isIpv4(localAddress)) {
                    throw new IllegalArgumentException("network " + bridge + ": a PRIVATE network needs 'localAddress', this host's IPv4 management address");
                }
                for (String peer : peers) {
                    if (!isIpv4(peer)) {
                        throw new IllegalArgumentException("network " + bridge + ": peer '" + peer + "' is not an IPv4 address");
                    }
                }
            }
            case EXTERNAL, VLAN -> {
                if (pif == null || !IFNAME.matcher(pif).matches()) {
                    throw new IllegalArgumentException("network " + bridge + ": a " + type + " network needs 'pif', the physical interface (e.g. eth1)");
                }
                if (type == NetworkType.VLAN && (vlan == null || vlan < 1 || vlan > 4094)) {
                    throw new IllegalArgumentException("network " + bridge + ": a VLAN network needs 'vlan' (1-4094)");
                }
            }
        }
    }

    static boolean isIpv4(String s) {
        return s != null && IPV4.matcher(s).matches();
    }
}
