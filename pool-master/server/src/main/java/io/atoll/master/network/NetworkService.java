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
import io.atoll.node.api.NetworkSpec.NetworkType;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The pool's networks: create (allocating a private network's VNI and subnet), read, a host's own
 * PIF, destroy (refused while a VIF is on one; removed from every host that has it first).
 * Realising one on a host is {@link NetworkRealiser}'s.
 */
@ApplicationScoped
public class NetworkService {
    private static final Logger LOG = Logger.getLogger(NetworkService.class);

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    NetworkConfig config;

    @Inject
    AgentClient agents;

    @Inject
    NetworkRealiser realiser;

    @Transactional
    public Network create(NetworkCreateRequest request) {
        // Under the pool row's lock: two creates cannot take one name, VNI, bridge or subnet.
        em.createQuery("select p from PoolEntity p", io.atoll.master.pool.PoolEntity.class).setLockMode(LockModeType.PESSIMISTIC_WRITE)
                .getResultList();
        Long same = em.createQuery("select count(n) from NetworkEntity n where n.name = :name", Long.class)
                .setParameter("name", request.name()).getSingleResult();
        if (same > 0) {
            throw new MasterException(MasterErrorCode.NETWORK_NAME_TAKEN, null, "a network named '" + request.name()
                    + "' exists already: choose another name");
        }
        String bridge = request.bridge();
        if (bridge == null) {
            long n = em.createQuery("select count(n) from NetworkEntity n", Long.class).getSingleResult();
            do {
                bridge = "xapi" + n++;
            } while (bridgeTaken(bridge));
        } else if (bridgeTaken(bridge)) {
            throw new MasterException(MasterErrorCode.NETWORK_NAME_TAKEN, null, "bridge " + bridge + " already carries another network: "
                    + "choose another bridge name, or omit it");
        }
        Integer vni = null;
        String subnet = null;
        if (request.type() == NetworkType.PRIVATE) {
            vni = request.vni() != null ? checkVni(request) : freeVni();
            Ipv4Subnet s = request.subnet() != null ? checkSubnet(request) : freeSubnet(request.name());
            if (request.dhcp()) {
                try {
                    s.checkSlices(config.dhcpSlices(), request.name());
                } catch (IllegalArgumentException e) {
                    throw new MasterException(MasterErrorCode.INVALID_SPEC, null, e.getMessage() + ", or create it with \"dhcp\": false");
                }
            }
            subnet = s.toString();
        }
        NetworkEntity network = new NetworkEntity(request, bridge, vni, subnet);
        em.persist(network);
        Network view = network.view(List.of());
        events.record(ObjectClass.NETWORK, EventOperation.ADD, network.getUuid(), view);
        LOG.infof("%s: created, %s on bridge %s%s", network.label(), request.type(), bridge,
                vni == null ? " (pif " + request.pif() + (request.vlan() == null ? "" : ", VLAN " + request.vlan()) + ")"
                        : " (VNI " + vni + ", subnet " + subnet + (request.dhcp() ? ", DHCP" : "") + ")");
        return view;
    }

    private int checkVni(NetworkCreateRequest request) {
        List<String> holder = em.createQuery("select n.name from NetworkEntity n where n.vni = :v", String.class)
                .setParameter("v", request.vni()).getResultList();
        if (!holder.isEmpty()) {
            throw new MasterException(MasterErrorCode.NETWORK_VNI_TAKEN, null, "network " + request.name() + ": VNI " + request.vni()
                    + " is network " + holder.get(0) + "'s: choose another VNI, or omit it for a free one");
        }
        return request.vni();
    }

    private int freeVni() {
        List<Integer> taken = em.createQuery("select n.vni from NetworkEntity n where n.vni >= :first order by n.vni", Integer.class)
                .setParameter("first", config.firstVni()).getResultList();
        int vni = config.firstVni();
        for (int t : taken) {
            if (t != vni) {
                break;
            }
            vni++;
        }
        if (vni > 16_777_215) {
            throw new MasterException(MasterErrorCode.NETWORK_VNI_TAKEN, null, "every VNI from " + config.firstVni() + " up is taken: "
                    + "give one below it, or lower atoll.master.network.first-vni");
        }
        return vni;
    }

    private List<Object[]> privateSubnets() {
        return em.createQuery("select n.name, n.subnet from NetworkEntity n where n.subnet is not null", Object[].class).getResultList();
    }

    private Ipv4Subnet checkSubnet(NetworkCreateRequest request) {
        Ipv4Subnet wanted = Ipv4Subnet.parse(request.subnet());
        for (Object[] other : privateSubnets()) {
            if (wanted.overlaps(Ipv4Subnet.parse((String) other[1]))) {
                throw new MasterException(MasterErrorCode.NETWORK_SUBNET_OVERLAP, null, "network " + request.name() + ": subnet " + wanted
                        + " overlaps " + other[1] + " of network " + other[0] + ": private networks need disjoint subnets (a host has one "
                        + "routing table); give another subnet, or omit it for a free one");
            }
        }
        return wanted;
    }

    private Ipv4Subnet freeSubnet(String name) {
        Ipv4Subnet pool = Ipv4Subnet.parse(config.subnetPool());
        List<Ipv4Subnet> taken = privateSubnets().stream().map(o -> Ipv4Subnet.parse((String) o[1])).toList();
        for (Ipv4Subnet s = new Ipv4Subnet(pool.base(), config.subnetPrefix()); s.base() < pool.base() + pool.size(); s = s.next()) {
            Ipv4Subnet candidate = s;
            if (taken.stream().noneMatch(candidate::overlaps)) {
                return candidate;
            }
        }
        throw new MasterException(MasterErrorCode.NETWORK_SUBNET_OVERLAP, null, "network " + name + ": every /" + config.subnetPrefix()
                + " of the pool range " + pool + " is taken: give a subnet, or widen atoll.master.network.subnet-pool");
    }

    private boolean bridgeTaken(String bridge) {
        return em.createQuery("select count(n) from NetworkEntity n where n.bridge = :b", Long.class).setParameter("b", bridge)
                .getSingleResult() > 0;
    }

    @Transactional
    public List<Network> list() {
        return em.createQuery("select n from NetworkEntity n order by n.name", NetworkEntity.class).getResultList().stream()
                .map(this::view).toList();
    }

    @Transactional
    public Network get(UUID uuid) {
        return view(find(uuid, LockModeType.NONE));
    }

    /** A network by uuid or by name, for a VIF; 404 naming what was asked. */
    public NetworkEntity byReference(String ref) {
        NetworkEntity n = null;
        try {
            n = em.find(NetworkEntity.class, UUID.fromString(ref));
        } catch (IllegalArgumentException byName) {
            List<NetworkEntity> named = em.createQuery("select n from NetworkEntity n where n.name = :n", NetworkEntity.class)
                    .setParameter("n", ref).getResultList();
            n = named.isEmpty() ? null : named.get(0);
        }
        if (n == null) {
            throw new MasterException(MasterErrorCode.NETWORK_NOT_FOUND, "network " + ref, "network " + ref
                    + " does not exist: GET /api/v1/networks lists them (by uuid or name)");
        }
        return n;
    }

    Network view(NetworkEntity n) {
        List<Network.OnHost> hosts = new ArrayList<>();
        for (NetworkHostEntity row : rows(n.getUuid())) {
            DhcpSpec dhcp = row.getSlice() == null || n.getSubnet() == null ? null
                    : Ipv4Subnet.parse(n.getSubnet()).slice(row.getSlice(), config.dhcpSlices());
            hosts.add(new Network.OnHost(row.getHost(), row.isRealised(), row.getReason(),
                    n.getType() == NetworkType.PRIVATE ? null : row.getPif() != null ? row.getPif() : n.getPif(),
                    dhcp == null ? null : dhcp.hostAddress(), dhcp == null ? null : dhcp.rangeStart(), dhcp == null ? null : dhcp.rangeEnd()));
        }
        return n.view(hosts);
    }

    List<NetworkHostEntity> rows(UUID network) {
        return em.createQuery("select r from NetworkHostEntity r where r.key.network = :n order by r.key.host", NetworkHostEntity.class)
                .setParameter("n", network).getResultList();
    }

    /** An EXTERNAL or VLAN network's physical interface on one host, when it is not named like the network's. */
    @Transactional
    public Network setHostPif(UUID network, UUID host, String pif) {
        NetworkEntity n = find(network, LockModeType.PESSIMISTIC_WRITE);
        if (n.getType() == NetworkType.PRIVATE) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, n.label(), n.label() + " is PRIVATE (a VXLAN overlay): it has no PIF");
        }
        if (pif == null || !io.atoll.node.api.NetworkSpec.IFNAME.matcher(pif).matches()) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, n.label(), "pif '" + pif + "' is not a Linux interface name (1-15 characters)");
        }
        if (em.find(HostEntity.class, host) == null) {
            throw new MasterException(MasterErrorCode.HOST_NOT_FOUND, "host " + host, "host " + host + " is not in the pool");
        }
        NetworkHostEntity row = em.find(NetworkHostEntity.class, new NetworkHostEntity.Key(network, host));
        if (row == null) {
            row = new NetworkHostEntity(network, host);
            em.persist(row);
        }
        row.setPif(pif);
        row.realised(false, row.isRealised() ? "the PIF changed to " + pif + ": realised again at the next VM start there" : null);
        Network view = view(n);
        events.record(ObjectClass.NETWORK, EventOperation.MOD, network, view);
        return view;
    }

    /**
     * Destroys a network: refused while VIFs are on it; otherwise removed from every host that has
     * it (outside any transaction), then forgotten. A host that does not answer keeps the network
     * row (409 naming the host): destroy again once it answers, or eject it.
     */
    public void destroy(UUID uuid) {
        synchronized (realiser.lockOf(uuid)) {
            destroyLocked(uuid);
        }
    }

    private void destroyLocked(UUID uuid) {
        Map<UUID, AgentEndpoint> hosts = QuarkusTransaction.requiringNew().call(() -> {
            NetworkEntity network = find(uuid, LockModeType.PESSIMISTIC_WRITE);
            refuseInUse(network);
            Map<UUID, AgentEndpoint> on = new LinkedHashMap<>();
            for (NetworkHostEntity row : rows(uuid)) {
                HostEntity h = em.find(HostEntity.class, row.getHost());
                if (h != null && (row.getSlice() != null || row.isRealised())) {
                    on.put(h.getUuid(), h.agent());
                }
                // Not realised any more as far as the master knows: the poller's convergence leaves it alone.
                row.realised(false, row.isRealised() ? "being removed" : row.getReason());
            }
            return on;
        });
        String label = "network " + uuid;
        List<String> failed = new ArrayList<>();
        List<UUID> done = new ArrayList<>();
        for (Map.Entry<UUID, AgentEndpoint> h : hosts.entrySet()) {
            try {
                agents.removeNetwork(h.getValue(), uuid, label);
                done.add(h.getKey());
            } catch (MasterException e) {
                failed.add(e.getMessage());
            }
        }
        String notRemoved = QuarkusTransaction.requiringNew().call(() -> {
            NetworkEntity network = find(uuid, LockModeType.PESSIMISTIC_WRITE);
            for (UUID h : done) {
                NetworkHostEntity row = em.find(NetworkHostEntity.class, new NetworkHostEntity.Key(uuid, h));
                if (row != null) {
                    em.remove(row);
                }
            }
            em.flush();
            if (!failed.isEmpty()) {
                events.record(ObjectClass.NETWORK, EventOperation.MOD, uuid, view(network));
                return network.label() + " was not removed from every host: " + String.join("; ", failed)
                        + ": destroy it again once the host answers (or eject the host)";
            }
            refuseInUse(network);
            Network last = view(network);
            em.remove(network);
            events.record(ObjectClass.NETWORK, EventOperation.DEL, uuid, last);
            LOG.infof("%s: destroyed (removed from %d host(s))", network.label(), done.size());
            return null;
        });
        if (notRemoved != null) {
            throw new MasterException(MasterErrorCode.NETWORK_FAILED, "network " + uuid, notRemoved);
        }
    }

    private void refuseInUse(NetworkEntity network) {
        List<String> users = em.createQuery("select distinct v.vm.name from VifEntity v where v.network = :n", String.class)
                .setParameter("n", network).getResultList();
        if (!users.isEmpty()) {
            throw new MasterException(MasterErrorCode.NETWORK_IN_USE, network.label(), network.label()
                    + " still has VIFs of " + String.join(", ", users) + ": unplug them (or destroy those VMs) first");
        }
    }

    NetworkEntity find(UUID uuid, LockModeType lock) {
        NetworkEntity n = em.find(NetworkEntity.class, uuid, lock);
        if (n == null) {
            throw new MasterException(MasterErrorCode.NETWORK_NOT_FOUND, "network " + uuid, "network " + uuid + " does not exist");
        }
        return n;
    }
}
