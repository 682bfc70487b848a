package io.atoll.master.ha;

import io.atoll.ha.ClusterMember;
import io.atoll.ha.FencingToken;
import io.atoll.ha.HaStack;
import io.atoll.ha.HaTimings;
import io.atoll.ha.MasterElection;
import io.atoll.ha.MasterLease;
import io.atoll.ha.MemberId;
import io.atoll.ha.Quorum;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jgroups.protocols.TCPPING;

/**
 * Whether this master instance is the pool's active master, and its cluster member.
 *
 * <p>Without {@code atoll.master.ha.cluster} the instance is the pool's only master: active from its
 * start, epoch 0 (agents get no epoch header). With it, several instances share the database and
 * {@link MasterElection} decides (the fenced lease in the database, taken only by a member of the
 * majority partition; docs/ha.md): the active one runs the {@link MasterActivated} work, the others
 * redirect clients ({@link StandbyFilter}) and wait.
 *
 * <p>The cluster member also carries the hosts' liveness once HA is enabled for the pool: the hosts'
 * agents join the same cluster, and {@link HaMonitor} reads the view.
 */
@ApplicationScoped
public class MasterRole {
    private static final Logger LOG = Logger.getLogger(MasterRole.class);

    @Inject
    HaSettings settings;

    @Inject
    DataSource dataSource;

    @Inject
    Event<MasterActivated> activation;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "7400")
    int httpPort;

    private volatile boolean active;
    private volatile long epoch;
    private volatile ClusterMember member;
    private volatile MasterElection election;
    private volatile MasterLease lease;
    private volatile Set<String> initialHosts = Set.of();
    private volatile Set<HostMember> lastHosts = Set.of();
    private final java.util.concurrent.ScheduledExecutorService refresher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "master-quorum");
        t.setDaemon(true);
        return t;
    });
    private final List<Consumer<String>> deactivationListeners = new CopyOnWriteArrayList<>();

    /** This instance's name (cluster member {@code master/NAME}). */
    public String instance() {
        return settings.instance().orElseGet(() -> {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                return "master";
            }
        });
    }

    public boolean clustered() {
        return settings.cluster();
    }

    /** Whether this instance is the active master now (exact in a cluster: false as soon as the lease is not trusted). */
    public boolean isActive() {
        if (!settings.cluster()) {
            return active;
        }
        MasterElection e = election;
        return active && e != null && e.isActive();
    }

    /** The epoch to send to agents: 0 (no header) for a master without a cluster. */
    public long epoch() {
        return epoch;
    }

    public HaTimings timings() {
        return new HaTimings(settings.timeout());
    }

    public Optional<ClusterMember> member() {
        return Optional.ofNullable(member);
    }

    /** The API URL this instance publishes for redirects. */
    public String publicUrl() {
        return settings.publicUrl().orElse("http://" + settings.bindAddress() + ":" + httpPort);
    }

    /** Runs {@code listener} (with the reason) each time this instance stops being active. */
    public void onDeactivated(Consumer<String> listener) {
        deactivationListeners.add(listener);
    }

    /** After the pool and the first admin exist (priorities 5, 6) and before anything else. */
    void start(@Observes @Priority(9) StartupEvent start) throws Exception {
        if (!settings.cluster()) {
            active = true;
            LOG.info("master: the pool's only master instance (atoll.master.ha.cluster=false): active");
            activation.fire(new MasterActivated(0));
            return;
        }
        String name = instance();
        register(name);
        join(Set.of());
        lease = new MasterLease(dataSource, name, timings());
        election = MasterElection.start(lease, member, timings(), new MasterElection.Listener() {
            @Override
            public void activated(FencingToken token) {
                epoch = token.epoch();
                // The take-over work on a thread of its own: the election's thread must go on renewing the lease.
                Thread t = new Thread(() -> {
                    try {
                        activation.fire(new MasterActivated(token.epoch()));
                        if (lease.held().map(held -> held.epoch() == token.epoch()).orElse(false)) {
                            active = true;
                            LOG.infof("master %s: active (epoch %d), serving the API", name, token.epoch());
                        }
                    } catch (RuntimeException e) {
                        LOG.errorf(e, "master %s: taking over failed; it stays a standby until it is restarted", name);
                    }
                }, "master-activation");
                t.setDaemon(true);
                t.start();
            }

            @Override
            public void deactivated(FencingToken token, String reason) {
                active = false;
                for (Consumer<String> l : deactivationListeners) {
                    try {
                        l.accept(reason);
                    } catch (RuntimeException e) {
                        LOG.warnf(e, "master %s: a deactivation listener failed", name);
                    }
                }
            }
        });
        // Instances that start later join the quorum (and the discovery list) of those already running.
        long every = Math.max(200, timings().standbyPollInterval().toMillis());
        refresher.scheduleWithFixedDelay(() -> {
            try {
                join(lastHosts);
            } catch (Exception e) {
                LOG.debugf("master %s: quorum refresh failed: %s", name, e.getMessage());
            }
        }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        LOG.infof("master %s: standby until it holds the lease (cluster member on %s:%d, T = %d s)", name, settings.bindAddress(),
                settings.port(), settings.timeout().toSeconds());
    }

    void stop(@Observes ShutdownEvent stop) {
        refresher.shutdownNow();
        MasterElection e = election;
        if (e != null) {
            e.close();
        }
        ClusterMember m = member;
        if (m != null) {
            m.close();
        }
    }

    /**
     * Joins the cluster (or updates the member already joined) with the master instances of the
     * database plus {@code hosts}: the hosts' agents that take part in HA, as cluster address and
     * member id. A master without a cluster joins only once HA is enabled for the pool.
     */
    public synchronized void join(Set<HostMember> hosts) throws Exception {
        lastHosts = Set.copyOf(hosts);
        Set<String> addresses = new LinkedHashSet<>(settings.peers().orElse(List.of()));
        Set<MemberId> expected = new LinkedHashSet<>();
        if (settings.cluster()) {
            for (String[] row : instances()) {
                expected.add(MemberId.master(row[0]));
                addresses.add(row[2]);
            }
        }
        expected.add(MemberId.master(instance()));
        addresses.add(settings.bindAddress() + "[" + settings.port() + "]");
        for (HostMember h : hosts) {
            expected.add(MemberId.agent(h.hostUuid()));
            addresses.add(h.address());
        }
        Quorum quorum = Quorum.of(expected);
        ClusterMember m = member;
        if (m == null) {
            HaStack stack = HaStack.of(timings()).bindAddress(settings.bindAddress()).port(settings.port()).initialHosts(addresses);
            member = ClusterMember.join(stack, ClusterMember.DEFAULT_CLUSTER, MemberId.master(instance()), quorum);
            LOG.infof("master %s: joined the cluster (%d expected members, view %s)", instance(), expected.size(), member.view().members());
        } else {
            if (!addresses.equals(initialHosts)) {
                TCPPING ping = m.channel().getProtocolStack().findProtocol(TCPPING.class);
                if (ping != null) {
                    List<InetSocketAddress> list = new ArrayList<>();
                    for (String a : addresses) {
                        int open = a.indexOf('[');
                        list.add(new InetSocketAddress(a.substring(0, open), Integer.parseInt(a.substring(open + 1, a.length() - 1))));
                    }
                    ping.setInitialHosts(list);
                }
            }
            if (!quorum.equals(m.quorum())) {
                LOG.infof("master %s: %d expected cluster members now", instance(), expected.size());
                m.quorum(quorum);
            }
        }
        initialHosts = addresses;
    }

    /** The master instances as expected cluster members ({@code master/NAME}). */
    public List<String> masterMembers() {
        List<String> out = new ArrayList<>();
        if (settings.cluster()) {
            try {
                for (String[] row : instances()) {
                    out.add(MemberId.master(row[0]).logicalName());
                }
            } catch (SQLException e) {
                LOG.warnf("master: cannot read the master instances: %s", e.getMessage());
            }
        }
        String me = MemberId.master(instance()).logicalName();
        if (!out.contains(me)) {
            out.add(me);
        }
        return out;
    }

    /** The master instances' cluster addresses ({@code addr[port]}). */
    public List<String> masterAddresses() {
        Set<String> out = new LinkedHashSet<>(settings.peers().orElse(List.of()));
        if (settings.cluster()) {
            try {
                for (String[] row : instances()) {
                    out.add(row[2]);
                }
            } catch (SQLException e) {
                LOG.warnf("master: cannot read the master instances: %s", e.getMessage());
            }
        }
        out.add(settings.bindAddress() + "[" + settings.port() + "]");
        return new ArrayList<>(out);
    }

    /** Leaves the cluster when HA is disabled on a master without a cluster of instances. */
    public synchronized void leaveUnlessClustered() {
        if (!settings.cluster() && member != null) {
            member.close();
            member = null;
            initialHosts = Set.of();
        }
    }

    /** A host's agent as a cluster member: {@code address} is {@code addr[port]}. */
    public record HostMember(String hostUuid, String address) {
    }

    /** The registered master instances: name, API URL, cluster address. */
    public List<String[]> instances() throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("select name, api_url, ha_address from ha_master_instance order by name");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new String[] {r.getString(1), r.getString(2), r.getString(3)});
            }
        }
        return out;
    }

    /** Removes a retired instance's row; the quorum follows at the next refresh (T/5). */
    public void forget(String name) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement s = c.prepareStatement("delete from ha_master_instance where name = ?")) {
                s.setString(1, name);
                s.executeUpdate();
            }
        }
        LOG.infof("master %s: instance %s removed from the pool", instance(), name);
        try {
            join(lastHosts);
        } catch (Exception e) {
            LOG.warnf("master %s: the quorum is updated at the next refresh: %s", instance(), e.getMessage());
        }
    }

    /** The API URL of the instance holding the lease now (by the database's clock), if any. */
    public Optional<String> activeMasterUrl() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("select i.api_url from ha_master_lease l join ha_master_instance i on i.name = l.holder"
                     + " where l.id = 1 and l.expires_at > current_timestamp");
             ResultSet r = s.executeQuery()) {
            return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
        } catch (SQLException e) {
            LOG.debugf("master: cannot read the lease: %s", e.getMessage());
            return Optional.empty();
        }
    }

    private void register(String name) throws SQLException {
        String haAddress = settings.bindAddress() + "[" + settings.port() + "]";
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement update = c.prepareStatement("update ha_master_instance set api_url = ?, ha_address = ?, started_at = ? where name = ?")) {
                update.setString(1, publicUrl());
                update.setString(2, haAddress);
                update.setTimestamp(3, Timestamp.from(Instant.now()));
                update.setString(4, name);
                if (update.executeUpdate() == 0) {
                    try (PreparedStatement insert = c.prepareStatement(
                            "insert into ha_master_instance (name, api_url, ha_address, started_at) values (?, ?, ?, ?)")) {
                        insert.setString(1, name);
                        insert.setString(2, publicUrl());
                        insert.setString(3, haAddress);
                        insert.setTimestamp(4, Timestamp.from(Instant.now()));
                        insert.executeUpdate();
                    }
                }
            }
        }
        LOG.infof("master %s: registered (API %s, cluster %s)", name, publicUrl(), haAddress);
    }
}
