package io.atoll.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.node.api.NetworkSpec.NetworkType;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class NetworkSpecTest {

    @Test
    void aPrivateNetworkNeedsAVniAndThisHostsAddress() {
        NetworkSpec ok = new NetworkSpec("br0", NetworkType.PRIVATE, 7, null, "10.0.0.1", null, null, null, null, null);
        assertThat(ok.dstPort()).isEqualTo(4789);
        assertThat(ok.peers()).isEmpty();
        assertThatThrownBy(() -> new NetworkSpec("br0", NetworkType.PRIVATE, 0, null, "10.0.0.1", null, null, null, null, null))
                .hasMessageContaining("vni");
        assertThatThrownBy(() -> new NetworkSpec("br0", NetworkType.PRIVATE, 7, null, "host1", null, null, null, null, null))
                .hasMessageContaining("localAddress");
        assertThatThrownBy(() -> new NetworkSpec("br0", NetworkType.PRIVATE, 7, null, "10.0.0.1", List.of("10.0.0.300"), null, null, null, null))
                .hasMessageContaining("peer '10.0.0.300'");
    }

    @Test
    void namesAndRangesAreChecked() {
        assertThatThrownBy(() -> new NetworkSpec("bridge-name-too-long", NetworkType.EXTERNAL, null, null, null, null, null, "eth0", null, null))
                .hasMessageContaining("1-15");
        assertThatThrownBy(() -> new NetworkSpec("br0", NetworkType.EXTERNAL, null, null, null, null, null, "eth0;rm", null, null))
                .hasMessageContaining("'pif'");
        assertThatThrownBy(() -> new NetworkSpec("br0", NetworkType.VLAN, null, null, null, null, null, "eth0", 4095, null))
                .hasMessageContaining("'vlan' (1-4094)");
        assertThatThrownBy(() -> new NetworkSpec("br0", NetworkType.EXTERNAL, null, null, null, null, 100, "eth0", null, null))
                .hasMessageContaining("mtu 100");
    }

    @Test
    void aDhcpSliceLiesInTheSubnetAndLeavesOutTheHostAddress() {
        DhcpSpec d = new DhcpSpec("10.7.0.1/24", "10.7.0.10", "10.7.0.99", null);
        assertThat(d.netmask()).isEqualTo("255.255.255.0");
        assertThat(d.address()).isEqualTo("10.7.0.1");
        assertThat(d.leaseSeconds()).isEqualTo(3600);
        assertThatThrownBy(() -> new DhcpSpec("10.7.0.1/24", "10.7.1.10", "10.7.1.99", null)).hasMessageContaining("must lie in");
        assertThatThrownBy(() -> new DhcpSpec("10.7.0.50/24", "10.7.0.10", "10.7.0.99", null)).hasMessageContaining("outside its range");
        assertThatThrownBy(() -> new DhcpSpec("10.7.0.1", "10.7.0.10", "10.7.0.99", null)).hasMessageContaining("prefix");
    }

    @Test
    void aNetworkNicNamesItsNetworkAndOnlyItCarriesARate() {
        UUID net = UUID.randomUUID();
        NicSpec nic = new NicSpec("nic0", null, NicSpec.NicMode.NETWORK, null, null, net, 1000);
        assertThat(nic.withMac("52:54:00:00:00:01").network()).isEqualTo(net);
        assertThatThrownBy(() -> new NicSpec("nic0", null, NicSpec.NicMode.NETWORK, null, null, null, null))
                .hasMessageContaining("needs 'network'");
        assertThatThrownBy(() -> new NicSpec("nic0", null, NicSpec.NicMode.USER, null, null, null, 1000))
                .hasMessageContaining("NETWORK nics only");
        assertThatThrownBy(() -> new NicSpec("nic0", null, NicSpec.NicMode.NETWORK, null, null, net, 1))
                .hasMessageContaining("rateKbit 1");
    }
}
