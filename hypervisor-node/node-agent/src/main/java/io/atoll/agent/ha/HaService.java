package io.atoll.agent.ha;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.atoll.agent.AgentConfig;
import io.atoll.agent.HostIdentity;
import io.atoll.agent.storage.StorageErrors;
import io.atoll.agent.storage.StorageRepositories;
import io.atoll.ha.ClusterMember;
import io.atoll.ha.FencedException;
import io.atoll.ha.FencingGate;
import io.atoll.ha.HaStack;
import io.atoll.ha.HaTimings;
import io.atoll.ha.MemberId;
import io.atoll.ha.Quorum;
import io.atoll.ha.SelfFence;
import io.atoll.ha.Statefile;
import io.atoll.ha.StatefileWriter;
import io.atoll.ha.Watchdog;
import io.atoll.node.api.HaConfig;
import io.atoll.node.api.HaHeartbeat;
import io.atoll.node.api.HaStatus;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.storage.spi.HeartbeatArea;
import io.atoll.storage.spi.StorageException;
import io.atoll.vm.NodeException;
import io.atoll.vm.VmManager;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.jgroups.protocols.TCPPING;

/**
 * This host's part of HA (issue 6), wired from ha-dr: the agent joins the pool's JGroups cluster as
 * {@code host/UUID}, writes its statefile heartbeat every T/5 into the heartbeat area of a repository
 * attached here, and runs a {@link SelfFence} that kills the protected VMs' QEMU (SIGKILL by pid)
 * when both heartbeats are lost for 0.8·T. A fenced host starts and receives no VM until the master
 * re-admits it: a {@code PUT /api/v1/ha} with an epoch at least the highest seen, while this host is
 * in the majority view again. It also keeps the highest master epoch seen ({@link FencingGate}),
 * persisted, and refuses calls of a deposed master.
 *
 * <p>Files in the state directory, mode 0600, written through a private temporary file moved into
 * place: {@code ha.json} (the config, re-applied at start), {@code ha-epoch} (the highest epoch
 * seen), {@code ha-fence.json} (the fence record, while fenced).
 */
@ApplicationScoped
public class HaService {
    private static final Logger LOG = Logger.getLogger(HaService.class);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false);
    private static final Pattern HOST_PORT = Pattern.compile("([^\\[\\]\\s]+)\\[(\\d{1,5})]");
    /** How long {@code GET /api/v1/ha} waits for the heartbeat area before it says it cannot read it. */
    static final Duration STATEFILE_READ_BOUND = Duration.ofMillis(1500);

    /** Why and when this host fenced itself. */
    record Fence(String reason, Instant fencedAt) {
    }

    /** What runs while HA is enabled. */
    private record Running(HaConfig config, HaTimings timings, ClusterMember member, Statefile statefile, StatefileWriter writer,
                           SelfFence selfFence, Watchdog watchdog) {
    }

    @Inject
    AgentConfig config;

    @Inject
    HostIdentity host;

    @Inject
    StorageRepositories srs;

    @Inject
    VmManager vms;

    private final Object epochLock = new Object();
    private FencingGate gate;
    private Path configFile;
    private Path epochFile;
    private Path fenceFile;
    private volatile Running running;
    private volatile HaConfig current;
    private volatile Fence fence;
    private final ExecutorService readers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ha-statefile-read");
        t.setDaemon(true);
        return t;
    });

    @PostConstruct
    void load() {
        Path dir = config.stateDir();
        configFile = dir.resolve("ha.json");
        epochFile = dir.resolve("ha-epoch");
        fenceFile = dir.resolve("ha-fence.json");
        long epoch = 0;
        try {
            if (Files.exists(epochFile)) {
                epoch = Long.parseLong(Files.readString(epochFile).trim());
            }
            if (Files.exists(fenceFile)) {
                fence = JSON.readValue(fenceFile.toFile(), Fence.class);
            }
            if (Files.exists(configFile)) {
                current = JSON.readValue(configFile.toFile(), HaConfig.class);
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("the HA state in " + dir + " cannot be read (" + e.getMessage() + "): fix or remove "
                    + "ha.json / ha-epoch / ha-fence.json", e);
        }
        gate = new FencingGate(epoch);
        if (fence != null) {
            vms.blockStarts(fencedMessage(fence));
            LOG.warnf("HA: host %s is FENCED since %s (%s): no VM starts here until the pool master re-admits it", host.uuid(),
                    fence.fencedAt(), fence.reason());
        }
    }

    /** At start: the persisted config is applied again (its SR was re-attached before, by the storage producer). */
    void onStart(@Observes StartupEvent event) {
        HaConfig c = current;
        if (c == null || !c.enabled()) {
            return;
        }
        try {
            synchronized (this) {
                startLocked(c);
            }
            LOG.infof("HA: re-applied the saved configuration: member %s, T = %d s, statefile on %s", member(), c.timeoutSeconds(),
                    srs.label(c.statefileSr().toString()));
        } catch (RuntimeException e) {
            LOG.errorf("HA: the saved configuration cannot be applied again (%s): this host runs without HA until the pool master "
                    + "sends PUT /api/v1/ha", e.getMessage());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        synchronized (this) {
            stopLocked();
        }
        readers.shutdownNow();
    }

    // ---------------------------------------------------------------- the API

    /** {@code PUT /api/v1/ha}. */
    public synchronized HaStatus apply(HaConfig c) {
        validate(c);
        long highest = gate.highestSeen();
        if (c.epoch() < highest) {
            throw new NodeException(NodeErrorCode.MASTER_FENCED, "ha", "a newer master (epoch " + highest + ") is active: this "
                    + "configuration carries epoch " + c.epoch() + " from a deposed master");
        }
        admitHeader(c.epoch()); // MASTER_FENCED should a newer epoch arrive meanwhile
        if (!c.enabled()) {
            stopLocked();
            current = c;
            writePrivate(configFile, json(c));
            LOG.info("HA: disabled on this host");
            return status();
        }
        Running r = running;
        if (r != null && sameMembership(r.config(), c)) {
            if (!r.config().quorum().equals(c.quorum())) {
                r.member().quorum(quorum(c));
                LOG.infof("HA: quorum now %s", c.quorum());
            }
            if (!r.config().initialHosts().equals(c.initialHosts())) {
                TCPPING ping = r.member().channel().getProtocolStack().findProtocol(TCPPING.class);
                ping.setInitialHosts(initialHosts(c));
                LOG.infof("HA: initial hosts now %s", c.initialHosts());
            }
            if (!r.config().protectedVms().equals(c.protectedVms())) {
                LOG.infof("HA: protected VMs now %s", c.protectedVms());
            }
            running = new Running(c, r.timings(), r.member(), r.statefile(), r.writer(), r.selfFence(), r.watchdog());
        } else {
            startLocked(c);
        }
        current = c;
        writePrivate(configFile, json(c));
        maybeReadmit(c);
        return status();
    }

    /** {@code DELETE /api/v1/ha}: leaves the cluster, stops the heartbeat and the fence checker. A fence stays. */
    public synchronized HaStatus disable() {
        stopLocked();
        current = null;
        try {
            Files.deleteIfExists(configFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + configFile, e);
        }
        LOG.info("HA: left the cluster; heartbeats and self-fence stopped");
        return status();
    }

    /** {@code GET /api/v1/ha}: the view, the heartbeats read now (bounded), the fence, the epoch. */
    public HaStatus status() {
        Running r = running;
        Fence f = fence;
        HaConfig c = current;
        List<UUID> protectedVms = c == null ? List.of() : c.protectedVms();
        if (r == null) {
            return new HaStatus(false, member(), List.of(), false, null, false, List.of(), f != null, f == null ? null : f.fencedAt(),
                    f == null ? null : f.reason(), gate.highestSeen(), protectedVms);
        }
        List<String> view = r.member().view().members().stream().map(MemberId::logicalName).toList();
        long last = r.writer().lastSuccessNanos();
        Instant lastWrite = last == Long.MIN_VALUE ? null : Instant.now().minusNanos(System.nanoTime() - last);
        List<HaHeartbeat> beats = null;
        Future<Map<String, Statefile.Heartbeat>> read = readers.submit(() -> r.statefile().readAll());
        try {
            beats = read.get(STATEFILE_READ_BOUND.toMillis(), TimeUnit.MILLISECONDS).values().stream()
                    .map(b -> new HaHeartbeat(b.host(), b.counter(), b.timestamp()))
                    .sorted(Comparator.comparing(HaHeartbeat::host)).toList();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            read.cancel(true);
            LOG.debugf("HA: statefile not readable now: %s", e.getMessage());
        }
        return new HaStatus(true, member(), view, r.member().inMajority(), lastWrite, beats != null, beats == null ? List.of() : beats,
                f != null, f == null ? null : f.fencedAt(), f == null ? null : f.reason(), gate.highestSeen(), protectedVms);
    }

    /**
     * The epoch header of a master call: admitted (and the highest persisted) or refused.
     *
     * @throws NodeException {@code MASTER_FENCED} when a newer epoch was seen
     */
    public void admitHeader(long epoch) {
        try {
            admit(epoch);
        } catch (FencedException e) {
            throw new NodeException(NodeErrorCode.MASTER_FENCED, "master epoch " + epoch, "a newer master (epoch " + e.current()
                    + ") is active: this call carries epoch " + e.presented() + " of a deposed master and is refused");
        }
    }

    public long epochSeen() {
        return gate.highestSeen();
    }

    // ---------------------------------------------------------------- how

    /** Its own lock: a master call never waits behind a PUT that is joining the cluster. */
    private void admit(long epoch) {
        synchronized (epochLock) {
            long before = gate.highestSeen();
            gate.admit(epoch);
            long after = gate.highestSeen();
            if (after > before) {
                writePrivate(epochFile, after + "\n");
                LOG.infof("HA: master epoch %d seen (was %d)", after, before);
            }
        }
    }

    private void validate(HaConfig c) {
        if (c == null) {
            throw new IllegalArgumentException("the request body must be an HA config: {\"enabled\": true, \"timeoutSeconds\": 10, "
                    + "\"bindAddress\": …, \"port\": …, \"initialHosts\": [\"addr[port]\"…], \"quorum\": [\"host/UUID\"…], "
                    + "\"statefileSr\": UUID, \"protectedVms\": [], \"epoch\": N}");
        }
        if (c.epoch() < 0) {
            throw new IllegalArgumentException("epoch is " + c.epoch() + ": send the master's epoch (0 or more)");
        }
        if (!c.enabled()) {
            return;
        }
        if (c.timeoutSeconds() < 2) {
            throw new IllegalArgumentException("timeoutSeconds is " + c.timeoutSeconds() + ": the HA timeout T must be at least 2 s "
                    + "(10 s is the default)");
        }
        if (c.bindAddress() == null || c.bindAddress().isBlank()) {
            throw new IllegalArgumentException("bindAddress is missing: give this host's address on the management network");
        }
        try {
            InetAddress a = InetAddress.getByName(c.bindAddress());
            if (java.net.NetworkInterface.getByInetAddress(a) == null) {
                throw new IllegalArgumentException("bindAddress " + c.bindAddress() + " is not an address of this host: give one of "
                        + "its own addresses on the management network");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("bindAddress " + c.bindAddress() + " cannot be resolved: " + e.getMessage());
        }
        if (c.port() < 1 || c.port() > 65535) {
            throw new IllegalArgumentException("port is " + c.port() + ": give a TCP port (1-65535) for this host's cluster member");
        }
        if (c.initialHosts().isEmpty()) {
            throw new IllegalArgumentException("initialHosts is empty: list every member as \"addr[port]\"");
        }
        initialHosts(c);
        Quorum q = quorum(c);
        if (!q.expected().contains(MemberId.agent(host.uuid().toString()))) {
            throw new IllegalArgumentException("quorum " + c.quorum() + " does not list this host (" + member() + "): list every "
                    + "host and master instance of the pool");
        }
        if (c.statefileSr() == null) {
            throw new IllegalArgumentException("statefileSr is missing: name a shared repository attached here that supports a "
                    + "heartbeat area (nfs)");
        }
        heartbeatArea(c.statefileSr());
    }

    private HeartbeatArea heartbeatArea(UUID sr) {
        var repository = srs.repository(sr.toString()); // SR_NOT_ATTACHED, naming the fix
        try {
            return repository.heartbeatArea();
        } catch (StorageException e) {
            throw new NodeException(StorageErrors.code(e), "sr " + sr, srs.label(sr.toString()) + " cannot hold the HA statefile: "
                    + e.getMessage() + ": choose a repository whose adapter declares SUPPORTS_HEARTBEAT (GET /api/v1/storage/adapters)", e);
        }
    }

    private static List<InetSocketAddress> initialHosts(HaConfig c) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String h : c.initialHosts()) {
            Matcher m = h == null ? null : HOST_PORT.matcher(h.strip());
            if (m == null || !m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
                throw new IllegalArgumentException("initialHosts entry '" + h + "' is not \"addr[port]\" (e.g. 10.0.0.5[7800])");
            }
            out.add(new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
        }
        return out;
    }

    private static Quorum quorum(HaConfig c) {
        if (c.quorum().isEmpty()) {
            throw new IllegalArgumentException("quorum is empty: list every expected member as host/UUID or master/NAME");
        }
        Set<MemberId> ids = new HashSet<>();
        for (String q : c.quorum()) {
            MemberId id;
            try {
                id = MemberId.parse(q);
            } catch (IllegalArgumentException e) {
                id = null;
            }
            if (id == null) {
                throw new IllegalArgumentException("quorum entry '" + q + "' is not a member name: use host/UUID or master/NAME");
            }
            ids.add(id);
        }
        return Quorum.of(ids);
    }

    private static boolean sameMembership(HaConfig a, HaConfig b) {
        return a.timeoutSeconds() == b.timeoutSeconds() && a.bindAddress().equals(b.bindAddress()) && a.port() == b.port()
                && Objects.equals(a.statefileSr(), b.statefileSr());
    }

    /** Joins, starts the heartbeat and the self-fence; on any failure nothing stays started. */
    private void startLocked(HaConfig c) {
        stopLocked();
        HaTimings t = new HaTimings(Duration.ofSeconds(c.timeoutSeconds()));
        HeartbeatArea area = heartbeatArea(c.statefileSr());
        Statefile statefile = new Statefile(new Statefile.Area() {
            @Override
            public void write(String h, byte[] content) {
                area.write(h, content);
            }

            @Override
            public Map<String, byte[]> readAll() {
                return area.readAll();
            }
        }, "heartbeat area of " + srs.label(c.statefileSr().toString()));
        ClusterMember member;
        try {
            HaStack stack = HaStack.of(t).bindAddress(c.bindAddress()).port(c.port()).initialHosts(c.initialHosts());
            member = ClusterMember.join(stack, ClusterMember.DEFAULT_CLUSTER, MemberId.agent(host.uuid().toString()), quorum(c));
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new NodeException(NodeErrorCode.INVALID_REQUEST, "ha", "cannot join the HA cluster on " + c.bindAddress() + ":"
                    + c.port() + " (" + e.getMessage() + "): check that the address is this host's and the port is free", e);
        }
        StatefileWriter writer = null;
        try {
            String me = host.uuid().toString();
            writer = new StatefileWriter(statefile, me, t);
            Watchdog watchdog = Watchdog.open(config.haWatchdogDevice());
            StatefileWriter w = writer;
            SelfFence selfFence = new SelfFence(me, member::inMajority, w::lastSuccessNanos, t, this::fenceNow, watchdog, null);
            running = new Running(c, t, member, statefile, writer, selfFence, watchdog);
            LOG.infof("HA: joined as %s (view %s, %s), T = %s, statefile every %d ms in %s, self-fence after %d ms; %d protected VM(s)",
                    member.id(), member.view().members(), member.inMajority() ? "majority" : "MINORITY", t.timeout(),
                    t.statefileWriteInterval().toMillis(), statefile.describe(), t.fenceDeadline().toMillis(), c.protectedVms().size());
        } catch (RuntimeException e) {
            if (writer != null) {
                writer.close();
            }
            member.close();
            throw e;
        }
    }

    private void stopLocked() {
        Running r = running;
        running = null;
        if (r == null) {
            return;
        }
        r.selfFence().close();
        r.writer().close();
        r.member().close();
        if (fence == null) {
            r.watchdog().close(); // magic close; a fenced host leaves it to reset
        }
    }

    /** The FenceAction: runs on the self-fence thread once both heartbeats are lost for 0.8·T. */
    private void fenceNow(String reason) {
        Instant at = Instant.now();
        Fence f = new Fence(reason, at);
        vms.blockStarts(fencedMessage(f)); // first: nothing may start while the protected VMs die
        HaConfig c = current;
        List<UUID> protectedVms = c == null ? List.of() : c.protectedVms();
        for (UUID vm : protectedVms) {
            try {
                Long pid = vms.fence(vm, reason);
                if (pid != null) {
                    LOG.errorf("HA: fenced: vm %s (qemu pid %d) killed", vm, pid);
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "HA: fenced: vm %s could not be killed", vm);
            }
        }
        fence = f;
        try {
            writePrivate(fenceFile, json(f));
        } catch (RuntimeException e) {
            LOG.errorf("HA: the fence record %s cannot be written: %s", fenceFile, e.getMessage());
        }
    }

    /** A fence ends only when the master re-admits the host: current epoch, and this host in the majority again. */
    private void maybeReadmit(HaConfig c) {
        Fence f = fence;
        Running r = running;
        if (f == null || r == null) {
            return;
        }
        if (c.epoch() < gate.highestSeen() || !r.member().inMajority()) {
            LOG.infof("HA: still fenced: %s", !r.member().inMajority() ? "this host is not in the majority view yet"
                    : "epoch " + c.epoch() + " is older than " + gate.highestSeen());
            return;
        }
        fence = null;
        try {
            Files.deleteIfExists(fenceFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the fence record " + fenceFile, e);
        }
        r.selfFence().rearm();
        vms.blockStarts(null);
        LOG.warnf("HA: re-admitted by the master of epoch %d after the fence of %s: VMs may start here again", c.epoch(), f.fencedAt());
    }

    private String fencedMessage(Fence f) {
        return "host " + host.uuid() + " fenced itself at " + f.fencedAt() + " (" + f.reason() + "): it starts and receives no VM "
                + "until the pool master re-admits it (PUT /api/v1/ha with the current epoch once the host is in the majority again)";
    }

    private String member() {
        return MemberId.agent(host.uuid().toString()).logicalName();
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a root-only file through a private temporary file moved into place. */
    private static void writePrivate(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ch.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
                    ch.force(true);
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
