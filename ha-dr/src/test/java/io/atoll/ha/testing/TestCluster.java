package io.atoll.ha.testing;

import io.atoll.ha.ClusterMember;
import io.atoll.ha.HaStack;
import io.atoll.ha.HaTimings;
import io.atoll.ha.MemberId;
import io.atoll.ha.Quorum;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TCP;
import org.jgroups.stack.ProtocolStack;

/**
 * Members of one test cluster on loopback: each its own free port, all ports as TCPPING's initial
 * hosts, a cluster name of their own (so parallel runs never meet). Closing leaves with every member.
 */
public final class TestCluster implements AutoCloseable {
    public final HaTimings timings;
    public final String name = "atoll-test-" + UUID.randomUUID();
    private final List<Integer> ports = new ArrayList<>();
    private final List<ClusterMember> members = new ArrayList<>();

    public TestCluster(HaTimings timings, int size) {
        this.timings = timings;
        for (int i = 0; i < size; i++) {
            ports.add(Commands.freePort());
        }
    }

    public List<String> initialHosts() {
        return ports.stream().map(p -> "127.0.0.1[" + p + "]").toList();
    }

    public int port(int index) {
        return ports.get(index);
    }

    public HaStack stack(int index) {
        return HaStack.of(timings).bindAddress("127.0.0.1").port(ports.get(index)).initialHosts(initialHosts());
    }

    /** Joins member {@code index} (0-based) as {@code id}. */
    public ClusterMember join(int index, MemberId id, Quorum quorum) throws Exception {
        ClusterMember m = ClusterMember.join(stack(index), name, id, quorum);
        members.add(m);
        return m;
    }

    /** Cuts a member off from everyone (a DISCARD above TCP that drops every message both ways). */
    public static void isolate(ClusterMember m) throws Exception {
        DISCARD d = m.channel().getProtocolStack().findProtocol(DISCARD.class);
        if (d == null) {
            d = new DISCARD();
            m.channel().getProtocolStack().insertProtocol(d, ProtocolStack.Position.ABOVE, TCP.class);
        }
        d.discardAll(true);
    }

    /** Heals {@link #isolate}. */
    public static void heal(ClusterMember m) {
        DISCARD d = m.channel().getProtocolStack().findProtocol(DISCARD.class);
        if (d != null) {
            d.discardAll(false);
        }
    }

    @Override
    public void close() {
        for (ClusterMember m : members) {
            m.close();
        }
    }
}
