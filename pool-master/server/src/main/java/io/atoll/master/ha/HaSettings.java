package io.atoll.master.ha;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * HA and master election ({@code atoll.master.ha.*}; docs/ha.md). Every instance of one pool must
 * be given the same {@code timeout} and {@code host-port}.
 */
@ConfigMapping(prefix = "atoll.master.ha")
public interface HaSettings {

    /**
     * Several master instances share the pool database: exactly one is active (it holds the lease
     * and serves the API), the others are standbys that redirect clients to it and take over when
     * it dies. Off: this instance is the pool's only master and is active from its start.
     */
    @WithDefault("false")
    boolean cluster();

    /** This instance's name in the cluster (default: the machine's host name). */
    Optional<String> instance();

    /** Where this instance's cluster member listens: an address the hosts' agents reach. */
    @WithDefault("127.0.0.1")
    String bindAddress();

    /** Its cluster port. */
    @WithDefault("7800")
    int port();

    /** The other master instances' cluster addresses, {@code addr[port]} (their own rows also name them once they have started). */
    Optional<List<String>> peers();

    /** T, the one timeout every HA timer derives from (XenServer's default: 10 s, at least 2 s). */
    @WithDefault("10s")
    Duration timeout();

    /** The port each host's agent's cluster member listens on, at the host's management address. */
    @WithDefault("7801")
    int hostPort();

    /** The URL clients reach this instance's API at (for the standbys' redirects); default from bind-address and the HTTP port. */
    Optional<String> publicUrl();
}
