package io.atoll.node.api;

/**
 * One host's DHCP service on a network: the host's own address on the bridge and the slice of the
 * subnet it leases from. Hosts of a pool serve disjoint slices of one subnet (the pool master
 * hands them out), so any host may answer a guest and no two hand out the same address.
 *
 * @param hostAddress the bridge's address with its prefix ({@code 10.7.0.1/24}); in the subnet
 *     but outside every slice
 * @param rangeStart the first address this host leases
 * @param rangeEnd the last address this host leases
 * @param leaseSeconds how long a lease lasts, 3600 by default
 */
public record DhcpSpec(String hostAddress, String rangeStart, String rangeEnd, Integer leaseSeconds) {

    public DhcpSpec {
        String[] cidr = hostAddress == null ? new String[0] : hostAddress.split("/", -1);
        if (cidr.length != 2 || !NetworkSpec.isIpv4(cidr[0]) || !cidr[1].matches("\\d{1,2}")
                || Integer.parseInt(cidr[1]) < 8 || Integer.parseInt(cidr[1]) > 30) {
            throw new IllegalArgumentException("dhcp: hostAddress '" + hostAddress + "' is invalid: use an IPv4 address with a prefix of 8-30 bits (10.7.0.1/24)");
        }
        if (!NetworkSpec.isIpv4(rangeStart) || !NetworkSpec.isIpv4(rangeEnd)) {
            throw new IllegalArgumentException("dhcp: rangeStart and rangeEnd must be IPv4 addresses");
        }
        int prefix = Integer.parseInt(cidr[1]);
        long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        long host = toLong(cidr[0]);
        long start = toLong(rangeStart);
        long end = toLong(rangeEnd);
        if ((start & mask) != (host & mask) || (end & mask) != (host & mask) || start > end) {
            throw new IllegalArgumentException("dhcp: the range " + rangeStart + "-" + rangeEnd + " must lie in " + hostAddress + "'s subnet, first address first");
        }
        if (host >= start && host <= end) {
            throw new IllegalArgumentException("dhcp: the host's address " + cidr[0] + " must lie outside its range " + rangeStart + "-" + rangeEnd);
        }
        if (leaseSeconds == null) {
            leaseSeconds = 3600;
        }
        if (leaseSeconds < 120) {
            throw new IllegalArgumentException("dhcp: leaseSeconds must be at least 120");
        }
    }

    /** The host's address without the prefix. */
    public String address() {
        return hostAddress.substring(0, hostAddress.indexOf('/'));
    }

    /** The prefix length. */
    public int prefix() {
        return Integer.parseInt(hostAddress.substring(hostAddress.indexOf('/') + 1));
    }

    /** The subnet mask in dotted form. */
    public String netmask() {
        long mask = (0xffffffffL << (32 - prefix())) & 0xffffffffL;
        return (mask >> 24 & 255) + "." + (mask >> 16 & 255) + "." + (mask >> 8 & 255) + "." + (mask & 255);
    }

    private static long toLong(String ip) {
        long v = 0;
        for (String part : ip.split("\\.")) {
            v = v << 8 | Integer.parseInt(part);
        }
        return v;
    }
}
