package io.atoll.master.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.node.api.DhcpSpec;
import org.junit.jupiter.api.Test;

/** Subnets in CIDR form and their DHCP slices: disjoint, inside the subnet, hosts' addresses outside every range. */
class Ipv4SubnetTest {

    @Test
    void slicesAreDisjointAndLeaveTheHostsAddressesOut() {
        for (String cidr : new String[] {"10.128.0.0/24", "10.5.0.0/16", "192.168.7.64/26"}) {
            Ipv4Subnet s = Ipv4Subnet.parse(cidr);
            int slices = 16;
            long previousEnd = -1;
            for (int i = 0; i < slices; i++) {
                DhcpSpec d = s.slice(i, slices);
                long start = Ipv4Subnet.address(d.rangeStart(), cidr);
                long end = Ipv4Subnet.address(d.rangeEnd(), cidr);
                long host = Ipv4Subnet.address(d.address(), cidr);
                assertThat(start).as("%s slice %d", cidr, i).isGreaterThan(previousEnd).isLessThanOrEqualTo(end);
                assertThat(end).isLessThan(s.base() + s.size() - 1);
                assertThat(host).isGreaterThan(s.base()).isLessThan(Ipv4Subnet.address(s.slice(0, slices).rangeStart(), cidr));
                assertThat(d.prefix()).isEqualTo(s.prefix());
                previousEnd = end;
            }
        }
        DhcpSpec first = Ipv4Subnet.parse("10.128.3.0/24").slice(0, 16);
        assertThat(first.hostAddress()).isEqualTo("10.128.3.1/24");
        assertThat(first.rangeStart() + "-" + first.rangeEnd()).isEqualTo("10.128.3.17-10.128.3.30");
    }

    @Test
    void badSubnetsAreRefusedSayingHowToWriteThem() {
        assertThatThrownBy(() -> Ipv4Subnet.parse("10.0.0.0")).hasMessageContaining("CIDR");
        assertThatThrownBy(() -> Ipv4Subnet.parse("10.0.0.300/24")).hasMessageContaining("dotted form");
        assertThatThrownBy(() -> Ipv4Subnet.parse("10.0.0.1/24")).hasMessageContaining("10.0.0.0/24");
        assertThatThrownBy(() -> Ipv4Subnet.parseNetwork("10.0.0.0/8")).hasMessageContaining("/16 to /28");
        assertThatThrownBy(() -> Ipv4Subnet.parse("10.0.0.0/28").checkSlices(16, "n")).hasMessageContaining("too small");
        assertThat(Ipv4Subnet.parse("10.0.0.0/24").overlaps(Ipv4Subnet.parse("10.0.0.128/25"))).isTrue();
        assertThat(Ipv4Subnet.parse("10.0.0.0/24").overlaps(Ipv4Subnet.parse("10.0.1.0/24"))).isFalse();
    }
}
