package io.atoll.master.network;

import io.atoll.node.api.DhcpSpec;

/**
 * An IPv4 subnet in CIDR form ({@code 10.128.3.0/24}) and how the pool master cuts it into one DHCP
 * slice per host: hosts' own addresses first ({@code .1} for slice 0, {@code .2} for slice 1 …),
 * then {@code slices} equal, disjoint lease ranges, the broadcast address left out. Every host's
 * dnsmasq serves its own range, so no two hosts hand out one address.
 *
 * @param base the network address (host bits zero)
 * @param prefix the prefix length, 8-30 ({@link #parseNetwork}: 16-28 for a network's subnet)
 */
public record Ipv4Subnet(long base, int prefix) {

    public Ipv4Subnet {
        if (prefix < 8 || prefix > 30) {
            throw new IllegalArgumentException("subnet prefix /" + prefix + " is out of range: give /8 to /30");
        }
        if ((base & ~mask(prefix)) != 0) {
            throw new IllegalArgumentException("subnet " + format(base) + "/" + prefix + " has host bits set: give its network address ("
                    + format(base & mask(prefix)) + "/" + prefix + ")");
        }
    }

    /** Parses {@code A.B.C.D/P}; an {@link IllegalArgumentException} says what is wrong and how to write it. */
    public static Ipv4Subnet parse(String cidr) {
        String[] parts = cidr == null ? new String[0] : cidr.split("/", -1);
        if (parts.length != 2 || !parts[1].matches("\\d{1,2}")) {
            throw new IllegalArgumentException("subnet '" + cidr + "' is not in CIDR form: give an IPv4 network and prefix, e.g. 10.128.3.0/24");
        }
        return new Ipv4Subnet(address(parts[0], cidr), Integer.parseInt(parts[1]));
    }

    /** A private network's subnet: {@link #parse} with a prefix of 16 to 28 bits. */
    public static Ipv4Subnet parseNetwork(String cidr) {
        Ipv4Subnet s = parse(cidr);
        if (s.prefix < 16 || s.prefix > 28) {
            throw new IllegalArgumentException("subnet " + cidr + ": the prefix /" + s.prefix + " is out of range for a network: give /16 to /28");
        }
        return s;
    }

    static long address(String dotted, String context) {
        String[] octets = dotted.split("\\.", -1);
        if (octets.length != 4) {
            throw new IllegalArgumentException("'" + context + "' is not an IPv4 address in dotted form (e.g. 10.128.3.0/24)");
        }
        long v = 0;
        for (String o : octets) {
            if (!o.matches("\\d{1,3}") || Integer.parseInt(o) > 255) {
                throw new IllegalArgumentException("'" + context + "' is not an IPv4 address in dotted form (e.g. 10.128.3.0/24)");
            }
            v = v << 8 | Integer.parseInt(o);
        }
        return v;
    }

    static long mask(int prefix) {
        return (0xffffffffL << (32 - prefix)) & 0xffffffffL;
    }

    static String format(long v) {
        return (v >> 24 & 255) + "." + (v >> 16 & 255) + "." + (v >> 8 & 255) + "." + (v & 255);
    }

    public long size() {
        return 1L << (32 - prefix);
    }

    public boolean overlaps(Ipv4Subnet other) {
        return base <= other.base + other.size() - 1 && other.base <= base + size() - 1;
    }

    /** The first lease address: after the hosts' addresses, at least {@code .16}. */
    private long firstLease(int slices) {
        return base + Math.max(16, slices + 1);
    }

    /** Addresses in one host's range. */
    public long sliceSize(int slices) {
        return (base + size() - 1 - firstLease(slices)) / slices;
    }

    /** Whether the subnet holds {@code slices} hosts' slices of at least two addresses each. */
    public void checkSlices(int slices, String network) {
        if (sliceSize(slices) < 2) {
            throw new IllegalArgumentException("network " + network + ": subnet " + this + " is too small for " + slices
                    + " hosts' DHCP slices: give a /26 or larger");
        }
    }

    /** Host {@code slice}'s DHCP service: its address on the bridge and its range. */
    public DhcpSpec slice(int slice, int slices) {
        long per = sliceSize(slices);
        long start = firstLease(slices) + slice * per;
        return new DhcpSpec(format(base + 1 + slice) + "/" + prefix, format(start), format(start + per - 1), null);
    }

    /** The next subnet of this size after this one. */
    Ipv4Subnet next() {
        return new Ipv4Subnet(base + size(), prefix);
    }

    @Override
    public String toString() {
        return format(base) + "/" + prefix;
    }
}
