package io.atoll.master.network;

import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.event.EventLog;
import io.atoll.master.event.EventOperation;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.vm.VifEntity;
import io.atoll.node.api.GuestAddress;
import io.atoll.node.api.NetworkState;
import io.atoll.node.api.NicSpec.NicMode;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;

/**
 * The guests' addresses, learnt at each host poll: a VIF's address is the DHCP lease for its MAC —
 * first as the VM's own host reports it ({@code VmInfo.addresses}), else from any host's leases
 * ({@code GET /api/v1/networks}), because a guest that migrated keeps renewing with the host that
 * leased it, whose answer does not list the VM any more. The newest unexpired lease wins. A VM
 * that is not running or paused has none. A VIF's address is written (with a VM {@code mod}
 * event) only when it changes. The hosts' network answers also go to {@link NetworkRealiser#converge},
 * which realises again a network a host lost or holds with stale peers.
 */
@ApplicationScoped
public class GuestAddresses {
    private static final Logger LOG = Logger.getLogger(GuestAddresses.class);

    @Inject
    AgentClient agents;

    @Inject
    EntityManager em;

    @Inject
    EventLog events;

    @Inject
    NetworkRealiser realiser;

    /** The hosts that answered this poll, with the VMs each reported. Called by the host poller after reconciliation. */
    public void learn(Map<AgentEndpoint, List<VmInfo>> answers) {
        Set<UUID> withNetworks = QuarkusTransaction.requiringNew().call(() -> new java.util.HashSet<>(em.createQuery(
                "select distinct r.key.host from NetworkHostEntity r", UUID.class).getResultList()));
        if (withNetworks.isEmpty()) {
            return;
        }
        long now = Instant.now().getEpochSecond();
        Map<String, GuestAddress> own = new HashMap<>();
        Map<String, GuestAddress> any = new HashMap<>();
        Map<AgentEndpoint, CompletableFuture<List<NetworkState>>> leases = new HashMap<>();
        for (Map.Entry<AgentEndpoint, List<VmInfo>> a : answers.entrySet()) {
            for (VmInfo vm : a.getValue()) {
                vm.addresses().forEach(g -> keep(own, g, now));
            }
            if (withNetworks.contains(a.getKey().host())) {
                leases.put(a.getKey(), agents.networksAsync(a.getKey()));
            }
        }
        Map<AgentEndpoint, List<NetworkState>> realised = new HashMap<>();
        for (Map.Entry<AgentEndpoint, CompletableFuture<List<NetworkState>>> l : leases.entrySet()) {
            try {
                List<NetworkState> states = l.getValue().join();
                realised.put(l.getKey(), states);
                for (NetworkState n : states) {
                    n.leases().forEach(g -> keep(any, g, now));
                }
            } catch (RuntimeException e) {
                LOG.debugf("%s: its DHCP leases are not readable now: %s", l.getKey().label(), e.getMessage());
            }
        }
        // The same answers show whether each host still has its networks as the pool says (peers both ways).
        realised.forEach((agent, states) -> {
            try {
                realiser.converge(agent, states);
            } catch (RuntimeException e) {
                LOG.warnf("%s: its networks were not checked at this poll: %s", agent.label(), e.toString());
            }
        });
        try {
            QuarkusTransaction.requiringNew().run(() -> record(own, any));
        } catch (RuntimeException e) {
            // A VIF unplugged or a VM destroyed while this ran: the next poll tries again.
            LOG.debugf("guest addresses not recorded at this poll: %s", e.toString());
        }
    }

    private static void keep(Map<String, GuestAddress> into, GuestAddress g, long now) {
        if (g.mac() == null || g.ip() == null || g.expiresEpochSecond() != 0 && g.expiresEpochSecond() < now) {
            return;
        }
        String mac = g.mac().toLowerCase(java.util.Locale.ROOT);
        GuestAddress had = into.get(mac);
        if (had == null || had.expiresEpochSecond() != 0 && (g.expiresEpochSecond() == 0 || g.expiresEpochSecond() > had.expiresEpochSecond())) {
            into.put(mac, g);
        }
    }

    private void record(Map<String, GuestAddress> own, Map<String, GuestAddress> any) {
        List<VifEntity> vifs = em.createQuery("select v from VifEntity v join fetch v.vm where v.mode = :m", VifEntity.class)
                .setParameter("m", NicMode.NETWORK).getResultList();
        Set<io.atoll.master.vm.VmEntity> changed = new LinkedHashSet<>();
        for (VifEntity vif : vifs) {
            VmPowerState state = vif.getVm().getPowerState();
            String ip;
            if (state != VmPowerState.RUNNING && state != VmPowerState.PAUSED || vif.getMac() == null) {
                ip = null;
            } else {
                GuestAddress g = own.getOrDefault(vif.getMac(), any.get(vif.getMac()));
                if (g == null) {
                    continue; // not leased yet, or its host did not answer: keep what is known
                }
                ip = g.ip();
            }
            if (vif.learnt(ip)) {
                changed.add(vif.getVm());
                LOG.infof("%s: nic %s (%s) %s", vif.getVm().label(), vif.getDeviceId(), vif.getMac(), ip == null ? "has no address now"
                        : "has address " + ip);
            }
        }
        if (!changed.isEmpty()) {
            em.flush();
            for (io.atoll.master.vm.VmEntity vm : changed) {
                events.record(ObjectClass.VM, EventOperation.MOD, vm.getUuid(), vm.view());
            }
        }
    }
}
