package io.atoll.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.node.api.DhcpSpec;
import io.atoll.node.api.GuestAddress;
import io.atoll.node.api.NetworkSpec;
import io.atoll.node.api.NetworkSpec.NetworkType;
import io.atoll.node.api.NetworkState;
import io.atoll.node.api.NodeErrorCode;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two hosts (network namespaces joined by a veth pair), one private network realised on both as a
 * bridge + VXLAN overlay with a DHCP slice each, a Linux test guest (TCG) on each host: they get
 * addresses and ping each other across the tunnel. A guest on a second private network (same
 * subnet, other VNI) cannot reach them; a VIF unplugged from a running guest stops its traffic.
 * Needs root (namespaces, taps), iproute2, nftables, dnsmasq-base and QEMU.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrivateNetworkIT {
    static final UUID RED = UUID.fromString("00000000-0000-4000-8000-0000000000a1");
    static final UUID BLUE = UUID.fromString("00000000-0000-4000-8000-0000000000b1");
    static TwoHosts hosts;
    static NamespaceGuest guest1;
    static NamespaceGuest guest2;
    static NamespaceGuest guest3;
    static String ip1;
    static String ip2;
    static String ip3;

    static NetworkSpec red(String local, String peer, DhcpSpec dhcp) {
        return new NetworkSpec("br-red", NetworkType.PRIVATE, 4242, null, local, List.of(peer), null, null, null, dhcp);
    }

    @BeforeAll
    static void twoHostsOnePrivateNetwork() throws Exception {
        hosts = new TwoHosts();
        // Each host serves its own slice of 10.77.0.0/24.
        NetworkState s1 = hosts.host1.realise(RED, red(TwoHosts.ADDRESS1, TwoHosts.ADDRESS2,
                new DhcpSpec("10.77.0.1/24", "10.77.0.10", "10.77.0.99", null)));
        hosts.host2.realise(RED, red(TwoHosts.ADDRESS2, TwoHosts.ADDRESS1,
                new DhcpSpec("10.77.0.2/24", "10.77.0.100", "10.77.0.199", null)));
        assertThat(s1.mtu()).isEqualTo(1500 - HostNetworks.VXLAN_OVERHEAD);
        assertThat(s1.tunnel()).isEqualTo("vx4242");
        assertThat(s1.dhcpPid()).isNotNull();
        // Blue: the same subnet on another VNI, host 1 only.
        hosts.host1.realise(BLUE, new NetworkSpec("br-blue", NetworkType.PRIVATE, 4343, null, TwoHosts.ADDRESS1,
                List.of(TwoHosts.ADDRESS2), null, null, null, new DhcpSpec("10.77.0.3/24", "10.77.0.200", "10.77.0.250", null)));

        hosts.host1.plugVif(RED, "tguest1-0", "52:54:00:77:00:01", null);
        hosts.host2.plugVif(RED, "tguest2-0", "52:54:00:77:00:02", null);
        hosts.host1.plugVif(BLUE, "tguest3-0", "52:54:00:77:00:03", null);
        guest1 = new NamespaceGuest(hosts, hosts.ns1, "guest1", "tguest1-0", "52:54:00:77:00:01");
        guest2 = new NamespaceGuest(hosts, hosts.ns2, "guest2", "tguest2-0", "52:54:00:77:00:02");
        guest3 = new NamespaceGuest(hosts, hosts.ns1, "guest3", "tguest3-0", "52:54:00:77:00:03");
        for (NamespaceGuest g : List.of(guest1, guest2, guest3)) {
            g.awaitReady();
        }
        CompletableFuture<String> a1 = CompletableFuture.supplyAsync(guest1::net);
        CompletableFuture<String> a2 = CompletableFuture.supplyAsync(guest2::net);
        CompletableFuture<String> a3 = CompletableFuture.supplyAsync(guest3::net);
        ip1 = a1.get();
        ip2 = a2.get();
        ip3 = a3.get();
    }

    @AfterAll
    static void cleanUp() {
        if (hosts != null) {
            hosts.close();
        }
    }

    @Test
    @Order(1)
    void eachGuestGetsAnAddressFromItsOwnHostsSliceAndThatHostKnowsIt() {
        // DHCP broadcasts do not cross the tunnel: each host's dnsmasq serves its own guests.
        assertThat(ip1).matches("10\\.77\\.0\\.\\d\\d");
        assertThat(ip2).matches("10\\.77\\.0\\.1\\d\\d");
        assertThat(ip3).matches("10\\.77\\.0\\.2\\d\\d");
        assertThat(hosts.host1.addressesOf(List.of(guest1.mac))).extracting(GuestAddress::ip).containsExactly(ip1);
        assertThat(hosts.host2.addressesOf(List.of(guest2.mac))).extracting(GuestAddress::ip).containsExactly(ip2);
        assertThat(hosts.host1.addressesOf(List.of(guest3.mac))).extracting(GuestAddress::ip).containsExactly(ip3);
        assertThat(hosts.host1.get(RED).vifs()).containsExactly("tguest1-0");
    }

    @Test
    @Order(2)
    void guestsOnOnePrivateNetworkPingEachOtherAcrossHosts() {
        assertThat(guest1.ping(ip2, 5)).isGreaterThanOrEqualTo(4);
        assertThat(guest2.ping(ip1, 5)).isGreaterThanOrEqualTo(4);
    }

    @Test
    @Order(3)
    void aGuestOnAnotherPrivateNetworkCannotReachThem() {
        assertThat(ip3).as("leased by blue's DHCP slice").matches("10\\.77\\.0\\.2\\d\\d");
        assertThat(guest3.ping(ip1, 3)).isZero();
        assertThat(guest3.ping(ip2, 3)).isZero();
        // (Its own network works: blue's DHCP service gave it its address. Pinging blue's host address
        // would not show it: one host with one subnet on two bridges routes the replies through the
        // first, which is why a pool gives its private networks disjoint subnets.)
    }

    @Test
    @Order(4)
    void realisingAgainChangesNothing() {
        NetworkState before = hosts.host1.get(RED);
        NetworkState again = hosts.host1.realise(RED, before.spec());
        assertThat(again.dhcpPid()).isEqualTo(before.dhcpPid());
        assertThat(again.vifs()).isEqualTo(before.vifs());
        assertThat(guest1.ping(ip2, 2)).isGreaterThanOrEqualTo(1);
    }

    @Test
    @Order(5)
    void aVlanNetworkIsRefusedClearlyWhereTheKernelLacks8021q() {
        assertThatThrownBy(() -> hosts.host1.realise(UUID.randomUUID(), new NetworkSpec("br-vlan", NetworkType.VLAN,
                null, null, null, null, null, "mgmt0", 100, null)))
                .isInstanceOfSatisfying(NetworkException.class, e -> {
                    assertThat(e.code()).isEqualTo(NodeErrorCode.NETWORK_NOT_SUPPORTED);
                    assertThat(e.getMessage()).contains("802.1q").contains("PRIVATE (VXLAN)");
                });
        assertThat(hosts.host1.list()).extracting(s -> s.spec().bridge()).doesNotContain("br-vlan");
    }

    @Test
    @Order(6)
    void aVifUnpluggedFromARunningGuestStopsItsTraffic() {
        hosts.host2.unplugVif("tguest2-0");
        assertThat(hosts.host2.get(RED).vifs()).isEmpty();
        assertThat(guest1.ping(ip2, 3)).isZero();
    }

    @Test
    @Order(7)
    void removingANetworkLeavesNothing() {
        hosts.host1.remove(BLUE);
        assertThat(hosts.host1.list()).extracting(NetworkState::uuid).containsExactly(RED);
        assertThat(HostCommands.inNamespace(hosts.ns1).tryRun("ip", "link", "show", "dev", "br-blue").ok()).isFalse();
        assertThat(HostCommands.inNamespace(hosts.ns1).tryRun("ip", "link", "show", "dev", "vx4343").ok()).isFalse();
        assertThat(HostCommands.inNamespace(hosts.ns1).tryRun("ip", "link", "show", "dev", "tguest3-0").ok()).isFalse();
    }

    @Test
    @Order(8)
    void aVifSendingWithAnotherMacIsCutOffAndRateLimitsAreInPlace() {
        // A stand-in guest: a namespace whose eth0 is the peer of a veth named like a tap on host 1.
        String g = hosts.namespace("g");
        TwoHosts.run("ip", "link", "add", "tspoof-0", "netns", hosts.ns1, "type", "veth", "peer", "name", "eth0", "netns", g);
        TwoHosts.in(g, "ip", "link", "set", "eth0", "address", "52:54:00:77:00:09");
        TwoHosts.in(g, "ip", "addr", "add", "10.77.0.240/24", "dev", "eth0");
        TwoHosts.in(g, "ip", "link", "set", "eth0", "up");
        hosts.host1.plugVif(RED, "tspoof-0", "52:54:00:77:00:09", 8000);
        assertThat(hosts.host1.canFilterVifs()).isTrue();
        HostCommands guest = HostCommands.inNamespace(g);
        assertThat(guest.tryRun("ping", "-c", "2", "-W", "2", "10.77.0.1").ok()).as("its own MAC passes").isTrue();

        TwoHosts.in(g, "ip", "link", "set", "eth0", "address", "52:54:00:77:00:99");
        TwoHosts.in(g, "ip", "neigh", "flush", "all");
        assertThat(guest.tryRun("ping", "-c", "2", "-W", "2", "10.77.0.1").ok()).as("a spoofed MAC is dropped").isFalse();

        HostCommands host1 = HostCommands.inNamespace(hosts.ns1);
        assertThat(host1.check(null, "tc", "qdisc", "show", "dev", "tspoof-0")).contains("tbf").contains("rate 8Mbit");
        assertThat(host1.check(null, "nft", "list", "chain", "bridge", "atoll", "vif")).contains("iifname \"tspoof-0\" limit rate over 1000 kbytes/second");
        hosts.host1.unplugVif("tspoof-0");
        assertThat(host1.check(null, "nft", "list", "table", "bridge", "atoll")).doesNotContain("tspoof-0");
    }
}
