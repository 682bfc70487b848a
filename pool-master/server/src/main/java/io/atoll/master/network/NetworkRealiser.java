package io.atoll.master.network;

import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.host.HostEntity;
import io.atoll.node.api.DhcpSpec;
import io.atoll.node.api.NetworkSpec;
import io.atoll.node.api.NetworkSpec.NetworkType;
import io.atoll.node.api.NicSpec;
import io.atoll.node.api.VmSpec;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Makes a VM's networks exist on a host before the VM needs them there: before a start on the
 * placed host, before a migration's target starts its incoming QEMU (the bridge and tunnel must be
 * there first), before a hot plug. For each network, one short transaction under the network row's
 * lock gives the host its DHCP slice (the lowest free one) and computes its spec — the VXLAN peers
 * are the management addresses of the other hosts that have the network — then, with no
 * transaction open, the host is asked to realise it ({@code PUT}, idempotent). When the host is new
 * to the network the others are told the new peer, so the tunnel works both ways; a host that does
 * not answer then is logged (it learns the full list at its next realisation).
 */
@ApplicationScoped
public class NetworkRealiser {
    private static final Logger LOG = Logger.getLogger(NetworkRealiser.class);

    @Inject
    EntityManager em;

    @Inject
    NetworkService networks;

    @Inject
    NetworkConfig config;

    @Inject
    AgentClient agents;

    @Inject
    EventLog events;

    /** What to ask of one host. */
    private record HostSpec(AgentEndpoint agent, NetworkSpec spec) {
    }

    /** What realising a network on a host takes: its spec there, and the other hosts' new specs when it is new there. */
    private record Plan(String label, HostSpec target, List<HostSpec> others) {
    }

    /** Realises every network the VM's NICs are on, on {@code host}. */
    public void realiseFor(UUID host, VmSpec spec) {
        realise(host, networksOf(spec.nics()));
    }

    /** The networks of these NICs, in order, once each. */
    public static Collection<UUID> networksOf(List<NicSpec> nics) {
        TreeSet<UUID> out = new TreeSet<>();
        for (NicSpec n : nics) {
            if (n.mode() == NicSpec.NicMode.NETWORK && n.network() != null) {
                out.add(n.network());
            }
        }
        return out;
    }

    /** Realises these networks on {@code host}; the first that fails ends it with the host's reason and the network named. */
    public void realise(UUID host, Collection<UUID> ids) {
        for (UUID network : ids) {
            Plan plan = QuarkusTransaction.requiringNew().call(() -> plan(network, host));
            try {
                agents.realiseNetwork(plan.target().agent(), network, plan.target().spec(), plan.label());
            } catch (MasterException e) {
                QuarkusTransaction.requiringNew().run(() -> outcome(network, host, false, e.getMessage()));
                // The agent's refusal names the network already ("host … refused to realise network … (front): CODE: …").
                String why = e.getMessage().contains(plan.label()) ? e.getMessage()
                        : plan.label() + " cannot be realised on " + plan.target().agent().label() + ": " + e.getMessage();
                throw new MasterException(e.code(), "network " + network, why, e);
            }
            // Under the network's lock: a host that planned meanwhile is in the rows now (or sees this one realised).
            NetworkSpec now = QuarkusTransaction.requiringNew().call(() -> realised(network, host));
            if (now != null && !now.equals(plan.target().spec())) {
                agents.realiseNetwork(plan.target().agent(), network, now, plan.label());
            }
            for (HostSpec other : plan.others()) {
                try {
                    agents.realiseNetwork(other.agent(), network, other.spec(), plan.label());
                } catch (MasterException e) {
                    LOG.warnf("%s: %s does not know its new peer %s yet (%s); it learns it when the network is realised there again",
                            plan.label(), other.agent().label(), plan.target().spec().localAddress(), e.getMessage());
                }
            }
        }
    }

    /** A network a host should have, as the pool says now. */
    private record Expected(UUID network, String label, NetworkSpec spec) {
    }

    /**
     * Brings a host's networks back to what the pool says, from the host's own answer
     * ({@code GET /api/v1/networks}, read by the host poller): a network the pool has realised there
     * that the host lost, or whose spec differs (a peer it missed while it did not answer, a host
     * ejected since), is realised there again. Failures are logged; the next poll tries again.
     */
    public void converge(AgentEndpoint agent, List<io.atoll.node.api.NetworkState> states) {
        List<Expected> expected = QuarkusTransaction.requiringNew().call(() -> expectedOn(agent.host()));
        java.util.Map<UUID, NetworkSpec> actual = new java.util.HashMap<>();
        states.forEach(s -> actual.put(s.uuid(), s.spec()));
        for (Expected e : expected) {
            NetworkSpec there = actual.get(e.network());
            if (there != null && normalised(there).equals(normalised(e.spec()))) {
                continue;
            }
            // Under the network's lock, which a destroy holds throughout: never put back what a destroy is removing.
            synchronized (lockOf(e.network())) {
                if (!QuarkusTransaction.requiringNew().call(() -> stillRealised(e.network(), agent.host()))) {
                    continue;
                }
                LOG.infof("%s: %s %s; realising it there again", e.label(), agent.label(), there == null ? "lost it"
                        : "has other settings (peers " + there.peers() + ", the pool's " + e.spec().peers() + ")");
                try {
                    agents.realiseNetwork(agent, e.network(), e.spec(), e.label());
                } catch (MasterException failed) {
                    LOG.warnf("%s: not realised again on %s: %s", e.label(), agent.label(), failed.getMessage());
                }
            }
        }
    }

    private final java.util.concurrent.ConcurrentHashMap<UUID, Object> locks = new java.util.concurrent.ConcurrentHashMap<>();

    /** The in-process lock of one network: held by a destroy from its first step to its last, and by {@link #converge} around a re-realisation. */
    Object lockOf(UUID network) {
        return locks.computeIfAbsent(network, k -> new Object());
    }

    private boolean stillRealised(UUID network, UUID host) {
        NetworkHostEntity row = em.find(NetworkHostEntity.class, new NetworkHostEntity.Key(network, host));
        return row != null && row.isRealised();
    }

    private List<Expected> expectedOn(UUID host) {
        HostEntity h = em.find(HostEntity.class, host);
        if (h == null) {
            return List.of();
        }
        List<NetworkHostEntity> mine = em.createQuery("select r from NetworkHostEntity r where r.key.host = :h and r.realised = true",
                NetworkHostEntity.class).setParameter("h", host).getResultList();
        List<Expected> out = new ArrayList<>();
        for (NetworkHostEntity row : mine) {
            NetworkEntity n = em.find(NetworkEntity.class, row.getNetwork());
            try {
                out.add(new Expected(n.getUuid(), n.label(), spec(n, row, h, networks.rows(n.getUuid()))));
            } catch (MasterException e) {
                LOG.debugf("%s: no spec for host %s: %s", n.label(), host, e.getMessage());
            }
        }
        return out;
    }

    /** Peers as a set: their order says nothing. */
    private static NetworkSpec normalised(NetworkSpec s) {
        return new NetworkSpec(s.bridge(), s.type(), s.vni(), s.dstPort(), s.localAddress(), s.peers().stream().sorted().toList(), s.mtu(),
                s.pif(), s.vlan(), s.dhcp());
    }

    private Plan plan(UUID network, UUID host) {
        NetworkEntity n = networks.find(network, LockModeType.PESSIMISTIC_WRITE);
        HostEntity target = em.find(HostEntity.class, host);
        if (target == null) {
            throw new MasterException(MasterErrorCode.HOST_NOT_FOUND, "host " + host, "host " + host + " is not in the pool");
        }
        List<NetworkHostEntity> rows = networks.rows(network);
        NetworkHostEntity row = rows.stream().filter(r -> r.getHost().equals(host)).findFirst().orElse(null);
        if (row == null) {
            row = new NetworkHostEntity(network, host);
            em.persist(row);
            rows = new ArrayList<>(rows);
            rows.add(row);
        }
        if (n.getType() == NetworkType.PRIVATE && n.isDhcp() && row.getSlice() == null) {
            row.setSlice(freeSlice(n, rows));
        }
        boolean fresh = !row.isRealised();
        HostSpec mine = new HostSpec(target.agent(), spec(n, row, target, rows));
        List<HostSpec> others = new ArrayList<>();
        if (fresh && n.getType() == NetworkType.PRIVATE) {
            for (NetworkHostEntity r : rows) {
                HostEntity h = r.getHost().equals(host) ? null : em.find(HostEntity.class, r.getHost());
                if (h != null && r.isRealised()) {
                    others.add(new HostSpec(h.agent(), spec(n, r, h, rows)));
                }
            }
        }
        return new Plan(n.label(), mine, others);
    }

    private int freeSlice(NetworkEntity n, List<NetworkHostEntity> rows) {
        for (int i = 0; i < config.dhcpSlices(); i++) {
            int slice = i;
            if (rows.stream().noneMatch(r -> r.getSlice() != null && r.getSlice() == slice)) {
                return slice;
            }
        }
        throw new MasterException(MasterErrorCode.NETWORK_DHCP_EXHAUSTED, n.label(), n.label() + ": all " + config.dhcpSlices()
                + " DHCP slices of its subnet " + n.getSubnet() + " are taken by other hosts: destroy and create it with \"dhcp\": false, "
                + "or raise atoll.master.network.dhcp-slices for new networks");
    }

    /** Host {@code h}'s spec of the network: its slice, and the other hosts of {@code rows} as VXLAN peers. */
    private NetworkSpec spec(NetworkEntity n, NetworkHostEntity row, HostEntity h, List<NetworkHostEntity> rows) {
        try {
            return switch (n.getType()) {
                case PRIVATE -> {
                    List<String> peers = new ArrayList<>();
                    for (NetworkHostEntity r : rows) {
                        HostEntity other = r.getHost().equals(h.getUuid()) ? null : em.find(HostEntity.class, r.getHost());
                        if (other != null) {
                            peers.add(ipv4(other));
                        }
                    }
                    DhcpSpec dhcp = row.getSlice() == null ? null : Ipv4Subnet.parse(n.getSubnet()).slice(row.getSlice(), config.dhcpSlices());
                    yield new NetworkSpec(n.getBridge(), NetworkType.PRIVATE, n.getVni(), n.getDstPort(), ipv4(h), peers, n.getMtu(), null,
                            null, dhcp);
                }
                case EXTERNAL, VLAN -> new NetworkSpec(n.getBridge(), n.getType(), null, null, null, null, n.getMtu(),
                        row.getPif() != null ? row.getPif() : n.getPif(), n.getVlan(), null);
            };
        } catch (IllegalArgumentException e) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, n.label(), n.label() + " on host " + h.getUuid() + ": " + e.getMessage());
        }
    }

    /** The host's management address as an IPv4 address (a name is resolved). */
    private static String ipv4(HostEntity h) {
        String a = h.getAddress();
        if (a != null && a.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return a;
        }
        try {
            for (InetAddress found : InetAddress.getAllByName(a)) {
                if (found instanceof java.net.Inet4Address) {
                    return found.getHostAddress();
                }
            }
        } catch (UnknownHostException e) {
            // below
        }
        throw new MasterException(MasterErrorCode.INVALID_SPEC, "host " + h.getUuid(), "host " + h.getUuid() + ": its management address '" + a
                + "' has no IPv4 address, which a private network's tunnel needs: join the host by its IPv4 address");
    }

    /**
     * Marks the network realised on the host, under the network row's lock (which plans take too),
     * and answers the host's spec now: another host that planned while this one was being realised
     * is a peer it did not know, and the caller sends the spec again when it changed. One that plans
     * after this sees this host realised and tells it itself. So the peers converge both ways.
     */
    private NetworkSpec realised(UUID network, UUID host) {
        NetworkEntity n = em.find(NetworkEntity.class, network, LockModeType.PESSIMISTIC_WRITE);
        HostEntity h = em.find(HostEntity.class, host);
        if (n == null || h == null) {
            return null; // destroyed or ejected meanwhile
        }
        outcome(network, host, true, null);
        List<NetworkHostEntity> rows = networks.rows(network);
        NetworkHostEntity row = rows.stream().filter(r -> r.getHost().equals(host)).findFirst().orElse(null);
        return row == null ? null : spec(n, row, h, rows);
    }

    private void outcome(UUID network, UUID host, boolean realised, String reason) {
        NetworkHostEntity row = em.find(NetworkHostEntity.class, new NetworkHostEntity.Key(network, host), LockModeType.PESSIMISTIC_WRITE);
        NetworkEntity n = em.find(NetworkEntity.class, network);
        if (row == null || n == null) {
            return; // destroyed meanwhile
        }
        boolean changed = row.isRealised() != realised || !java.util.Objects.equals(row.getReason(), reason);
        row.realised(realised, reason);
        if (changed) {
            em.flush();
            events.record(ObjectClass.NETWORK, EventOperation.MOD, network, networks.view(n));
            if (realised) {
                LOG.infof("%s: realised on host %s", n.label(), host);
            }
        }
    }
}
