package io.atoll.master.network;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** What the pool master hands out to private networks ({@code atoll.master.network.*}). */
@ConfigMapping(prefix = "atoll.master.network")
public interface NetworkConfig {

    /** Where private networks' subnets come from when a create names none: /24s taken in order from this range. */
    @WithDefault("10.128.0.0/9")
    String subnetPool();

    /** The prefix length of an allocated subnet. */
    @WithDefault("24")
    int subnetPrefix();

    /** The first VNI handed out when a create names none (the lowest free one from here up). */
    @WithDefault("5000")
    int firstVni();

    /**
     * How many hosts' DHCP slices a private network's subnet is cut into: at most this many hosts
     * serve DHCP on one network (a /24 gives each of 16 hosts 14 addresses).
     */
    @WithDefault("16")
    int dhcpSlices();
}
