package io.atoll.vm;

import static io.atoll.node.api.VmPowerState.CRASHED;
import static io.atoll.node.api.VmPowerState.HALTED;
import static io.atoll.node.api.VmPowerState.PAUSED;
import static io.atoll.node.api.VmPowerState.RUNNING;
import static io.atoll.node.api.VmPowerState.SUSPENDED;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.atoll.host.HostProbe;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.HostFacts;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmEvent;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import io.atoll.qmp.QmpClient;
import io.atoll.qmp.QmpCommand;
import io.atoll.qmp.QmpEvent;
import io.atoll.qmp.QmpException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Runs the VMs of one host: the heart of the node agent.
 *
 * <p>Each VM is a daemonized QEMU process with its runtime files in its own directory, so VMs keep
 * running when the agent stops; a new {@code VmManager} re-adopts them through their QMP sockets,
 * checking pid and uuid. The manager holds one QMP connection per running VM and learns from it
 * what QEMU does on its own: the guest powering off, pausing on an error, or QEMU dying (the
 * connection ends without a SHUTDOWN event: the VM is {@code CRASHED}).
 *
 * <p>One operation at a time per VM: a second one is refused with {@code VM_BUSY} naming the one
 * in progress. Every refusal says what to do, and a failed operation leaves no QEMU process and no
 * runtime directory behind.
 *
 * <p>Disks that are not plain QEMU sources (a storage repository's disk) are attached through a
 * {@link DiskResolver} each time QEMU starts and released once that QEMU has ended; the stored spec
 * keeps what the caller gave, only QEMU's command line sees the resolved disks.
 */
public final class VmManager implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(VmManager.class);
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_LINES = 20;
    private static final int RECENT_EVENTS = 1000;

    /** What a VM halted by the host's HA self-fence shows as its reason (VmInfo.crashReason). */
    public static final String FENCED_PREFIX = "stopped by the HA self-fence of this host: ";

    private final NodeConfig config;
    private final HostProbe probe;
    /** While set, starting or receiving a VM is refused HOST_FENCED with this message. */
    private volatile String startsBlocked;
    private final Admission admission;
    private final DiskResolver disks;
    private final Map<UUID, ManagedVm> vms = new ConcurrentHashMap<>();
    private final Object registry = new Object();
    private final CopyOnWriteArrayList<Consumer<VmEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Deque<VmEvent> recent = new ArrayDeque<>();
    private final AtomicLong eventSeq = new AtomicLong();
    /** The final figures of migrations that took VMs away, for whoever asks after the VM left. */
    private final Map<UUID, io.atoll.node.api.MigrationProgress> departed = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<UUID, io.atoll.node.api.MigrationProgress> eldest) {
                    return size() > 100;
                }
            });

    /** One VM and what the manager knows of it; fields are guarded by the object's monitor. */
    private static final class ManagedVm {
        VmSpec spec;
        final VmPaths paths;
        VmPowerState state = HALTED;
        Long pid;
        String accelerator;
        Instant startedAt;
        String operation;
        String crashReason;
        List<String> logTail = List.of();
        QmpClient qmp;
        java.util.concurrent.CompletableFuture<Void> exited = new java.util.concurrent.CompletableFuture<>();
        volatile String shutdownReason;
        /** Set (before the kill) when the host's HA self-fence kills this VM's QEMU: it then reads HALTED with this reason. */
        volatile String fenceReason;
        boolean expectExit;
        volatile Migration migration;
        /** The VM's last live disk move (in progress, or its outcome). */
        volatile DiskMove diskMove;
        /** What the running QEMU holds through the {@link DiskResolver}; released once when it ends. */
        DiskResolver.Lease disks;

        ManagedVm(VmSpec spec, VmPaths paths) {
            this.spec = spec;
            this.paths = paths;
        }

        String label() {
            return "vm " + spec.name() + " (" + spec.uuid() + ")";
        }
    }

    @FunctionalInterface
    private interface Operation {
        void run(ManagedVm vm) throws Exception;
    }

    /** Opens the host's VM store and re-adopts the VMs whose QEMU still runs; disks open as specified. */
    public VmManager(NodeConfig config, HostProbe probe) {
        this(config, probe, DiskResolver.IDENTITY);
    }

    /**
     * Opens the host's VM store and re-adopts the VMs whose QEMU still runs.
     *
     * @param disks attaches the VMs' disks while their QEMU runs (storage repository disks)
     */
    public VmManager(NodeConfig config, HostProbe probe, DiskResolver disks) {
        this.config = config;
        this.probe = probe;
        this.admission = new Admission(config, probe);
        this.disks = disks;
        createPrivateDir(config.stateDir());
        createPrivateDir(config.runDir());
        loadAndAdopt();
    }

    public NodeConfig config() {
        return config;
    }

    // ---------------------------------------------------------------- queries

    public List<VmInfo> list() {
        return vms.values().stream().map(this::info).sorted(Comparator.comparing(VmInfo::name)).toList();
    }

    public VmInfo get(UUID uuid) {
        return info(find(uuid));
    }

    /**
     * One disk of a running VM, for a storage adapter to snapshot or merge images under it while
     * the guest runs.
     */
    public io.atoll.storage.spi.LiveBlockDevice liveBlockDevice(UUID uuid, String diskId) {
        ManagedVm vm = find(uuid);
        return new QmpBlockDevice(qmpOf(vm), vm.label(), diskId);
    }

    /** The VM's files, for consoles and diagnostics. */
    public VmPaths paths(UUID uuid) {
        return find(uuid).paths;
    }

    /**
     * The host's facts as of now.
     *
     * @param hostUuid the host's identity, which belongs to whoever runs this manager (the agent's
     *     host-uuid file); reported as is
     */
    public HostFacts hostFacts(UUID hostUuid) {
        HostProbe.Memory mem = probe.memory();
        int running;
        synchronized (registry) {
            running = (int) vms.values().stream().filter(v -> v.pid != null).count();
        }
        return new HostFacts(hostUuid, probe.hostname(), probe.cpuCount(), probe.cpuModel(), mem.total(), mem.free(),
                mem.available(), admission.freeForVms(mem, promisedMemory(null)), probe.freeSpace(config.stateDir()), probe.kvm(),
                probe.resolve(Accelerator.AUTO), qemuVersion(), running);
    }

    // ---------------------------------------------------------------- events

    /** Registers a listener for VM events; returns what unregisters it. Listeners must not block. */
    public Runnable subscribe(Consumer<VmEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** The events after {@code seq} still held (the last {@value #RECENT_EVENTS}). */
    public List<VmEvent> eventsSince(long seq) {
        synchronized (recent) {
            return recent.stream().filter(e -> e.seq() > seq).toList();
        }
    }

    private void emit(ManagedVm vm, String kind, String detail) {
        VmEvent event = new VmEvent(eventSeq.incrementAndGet(), Instant.now(), vm.spec.uuid(), vm.spec.name(), kind, vm.state, detail);
        synchronized (recent) {
            recent.addLast(event);
            while (recent.size() > RECENT_EVENTS) {
                recent.removeFirst();
            }
        }
        for (Consumer<VmEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                LOG.warnf(e, "event listener failed on %s", event);
            }
        }
    }

    // ---------------------------------------------------------------- create and destroy

    /** Defines a VM on this host, halted. Nothing is written when the spec is refused. */
    public VmInfo create(VmSpec spec) {
        synchronized (registry) {
            if (vms.containsKey(spec.uuid())) {
                throw new NodeException(NodeErrorCode.VM_ALREADY_EXISTS, "vm " + spec.uuid(),
                        "vm " + spec.uuid() + " already exists on this host: give the new VM another uuid, or omit it");
            }
            for (ManagedVm other : vms.values()) {
                if (other.spec.name().equals(spec.name())) {
                    throw new NodeException(NodeErrorCode.VM_NAME_TAKEN, "vm " + spec.name(), "a VM named '" + spec.name()
                            + "' already exists on this host (" + other.spec.uuid() + "): choose another name");
                }
            }
            admission.accelerator(spec);
            Admission.files(spec);
            long totalMiB = probe.memory().total() / (1024 * 1024);
            if (spec.memoryMiB() > totalMiB - config.hostMemoryReserveMiB()) {
                throw new NodeException(NodeErrorCode.INSUFFICIENT_MEMORY, "vm " + spec.name(), "vm " + spec.name() + " asks for "
                        + spec.memoryMiB() + " MiB but this host has " + totalMiB + " MiB in all, " + config.hostMemoryReserveMiB()
                        + " MiB of it kept for the host: give it less memory");
            }
            ManagedVm vm = new ManagedVm(spec, VmPaths.of(config, spec.uuid()));
            createPrivateDir(vm.paths.stateDir());
            try {
                persist(vm);
            } catch (RuntimeException e) {
                Processes.deleteTree(vm.paths.stateDir());
                throw e;
            }
            vms.put(spec.uuid(), vm);
            LOG.infof("%s: created (%d vCPU, %d MiB, %d disk(s))", vm.label(), spec.vcpus(), spec.memoryMiB(), spec.disks().size());
            emit(vm, "add", "created");
            return info(vm);
        }
    }

    /** Removes a halted, crashed or suspended VM from this host with its state files (not its disks). */
    public void destroy(UUID uuid) {
        operate(uuid, "destroy", EnumSet.of(HALTED, CRASHED, SUSPENDED), vm -> {
            synchronized (registry) {
                vms.remove(uuid);
            }
            Processes.deleteTree(vm.paths.stateDir());
            Processes.deleteTree(vm.paths.runDir());
            LOG.infof("%s: destroyed", vm.label());
            emit(vm, "del", "destroyed");
        });
    }

    // ---------------------------------------------------------------- power operations

    /** Starts QEMU for a halted or crashed VM and runs the guest. */
    public VmInfo start(UUID uuid) {
        return operate(uuid, "start", EnumSet.of(HALTED, CRASHED), vm -> {
            refuseIfStartsBlocked(vm.label());
            launch(vm, false);
            cont(vm);
            setState(vm, RUNNING, "started");
        });
    }

    /**
     * Shuts a VM down. Clean: the ACPI power button, then a hard stop when the guest has not
     * powered off within the timeout. Hard: QEMU ends at once. A hard shutdown of a suspended VM
     * discards its saved state; of a crashed one, acknowledges the crash.
     */
    public VmInfo shutdown(UUID uuid, ShutdownRequest request) {
        boolean force = request != null && request.force();
        Set<VmPowerState> allowed = force ? EnumSet.of(RUNNING, PAUSED, SUSPENDED, CRASHED) : EnumSet.of(RUNNING);
        return operate(uuid, force ? "hard_shutdown" : "clean_shutdown", allowed, vm -> {
            switch (vm.state) {
                case SUSPENDED -> {
                    Files.deleteIfExists(vm.paths.suspendImage());
                    setState(vm, HALTED, "suspended state discarded");
                }
                case CRASHED -> setState(vm, HALTED, "crash acknowledged");
                default -> {
                    powerOff(vm, force, timeout(request));
                    setState(vm, HALTED, force ? "hard shutdown" : "shut down");
                }
            }
        });
    }

    /** Reboots: clean = clean shutdown (hard after the timeout) and a fresh start; hard = the reset button. */
    public VmInfo reboot(UUID uuid, ShutdownRequest request) {
        boolean force = request != null && request.force();
        Set<VmPowerState> allowed = force ? EnumSet.of(RUNNING, PAUSED) : EnumSet.of(RUNNING);
        return operate(uuid, force ? "hard_reboot" : "clean_reboot", allowed, vm -> {
            if (force) {
                qmp(vm, new QmpCommand.SystemReset());
                emit(vm, "mod", "hard reboot (reset)");
            } else {
                powerOff(vm, false, timeout(request));
                launch(vm, false);
                cont(vm);
                setState(vm, RUNNING, "rebooted");
            }
        });
    }

    public VmInfo pause(UUID uuid) {
        return operate(uuid, "pause", EnumSet.of(RUNNING), vm -> {
            qmp(vm, new QmpCommand.Stop());
            setState(vm, PAUSED, "paused");
        });
    }

    public VmInfo unpause(UUID uuid) {
        return operate(uuid, "unpause", EnumSet.of(PAUSED), vm -> {
            cont(vm);
            setState(vm, RUNNING, "unpaused");
        });
    }

    // ---------------------------------------------------------------- NIC hot plug (additive, issue 7)

    /**
     * Hot-plugs a NIC into a running (or paused) VM: {@code backend} is what QEMU opens (a {@code TAP}
     * NIC on a tap the caller made, for a {@code NETWORK} one), {@code nic} what the VM's spec keeps
     * (with its MAC fixed, so that it stays the same across restarts and migrations). QMP
     * {@code netdev_add} then {@code device_add}; on failure the netdev is removed again.
     */
    public VmInfo addNic(UUID uuid, io.atoll.node.api.NicSpec nic, io.atoll.node.api.NicSpec backend) {
        return operate(uuid, "add nic", EnumSet.of(RUNNING, PAUSED), vm -> {
            if (vm.spec.nics().stream().anyMatch(n -> n.id().equals(nic.id()))) {
                throw new NodeException(NodeErrorCode.INVALID_SPEC, vm.label(), vm.label() + " already has a nic " + nic.id()
                        + ": choose another id");
            }
            if (backend.mode() != io.atoll.node.api.NicSpec.NicMode.TAP || nic.mac() == null) {
                throw new IllegalArgumentException("a hot-plugged nic needs a MAC and a TAP backend");
            }
            String netdev = nic.id() + "-net";
            qmp(vm, new QmpCommand.Raw("netdev_add", Map.of("type", "tap", "id", netdev, "ifname", backend.ifname(),
                    "script", "no", "downscript", "no")));
            try {
                qmp(vm, new QmpCommand.Raw("device_add", Map.of("driver", backend.model(), "id", nic.id(),
                        "netdev", netdev, "mac", nic.mac())));
            } catch (QmpException e) {
                qmp(vm, new QmpCommand.Raw("netdev_del", Map.of("id", netdev)));
                throw e;
            }
            List<io.atoll.node.api.NicSpec> nics = new ArrayList<>(vm.spec.nics());
            nics.add(nic);
            synchronized (vm) {
                vm.spec = vm.spec.withNics(nics);
            }
            persist(vm);
            emit(vm, "mod", "nic " + nic.id() + " plugged");
            LOG.infof("%s: nic %s plugged (%s)", vm.label(), nic.id(), backend.ifname());
        });
    }

    /**
     * Unplugs a NIC from a running (or paused) VM: QMP {@code device_del}, waiting up to
     * {@code timeout} for the guest to let go of it ({@code DEVICE_DELETED}), then {@code netdev_del}
     * (which alone already cuts the guest off the tap). The spec forgets the NIC.
     */
    public VmInfo removeNic(UUID uuid, String nicId, Duration timeout) {
        return operate(uuid, "remove nic", EnumSet.of(RUNNING, PAUSED), vm -> {
            if (vm.spec.nics().stream().noneMatch(n -> n.id().equals(nicId))) {
                throw new NodeException(NodeErrorCode.NOT_FOUND, vm.label(), vm.label() + " has no nic " + nicId);
            }
            QmpClient qmp = qmpOf(vm);
            java.util.concurrent.CompletableFuture<Void> deleted = new java.util.concurrent.CompletableFuture<>();
            Runnable stop = qmp.onEvent(e -> {
                if ("DEVICE_DELETED".equals(e.name()) && nicId.equals(e.data().path("device").asText())) {
                    deleted.complete(null);
                }
            });
            try {
                qmp(vm, new QmpCommand.Raw("device_del", Map.of("id", nicId)));
                try {
                    deleted.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    LOG.warnf("%s: the guest did not release nic %s within %s; its backend is removed regardless", vm.label(),
                            nicId, timeout);
                }
            } finally {
                stop.run();
            }
            qmp(vm, new QmpCommand.Raw("netdev_del", Map.of("id", nicId + "-net")));
            synchronized (vm) {
                vm.spec = vm.spec.withNics(vm.spec.nics().stream().filter(n -> !n.id().equals(nicId)).toList());
            }
            persist(vm);
            emit(vm, "mod", "nic " + nicId + " unplugged");
            LOG.infof("%s: nic %s unplugged", vm.label(), nicId);
        });
    }

    /** Saves the VM's memory and device state to a file in its state directory and ends QEMU. */
    public VmInfo suspend(UUID uuid) {
        return operate(uuid, "suspend", EnumSet.of(RUNNING, PAUSED), vm -> {
            new SuspendImage(vm.paths, vm.label()).save(qmpOf(vm), vm.state == RUNNING);
            stopQemu(vm, Duration.ofSeconds(30));
            setState(vm, SUSPENDED, "suspended to " + vm.paths.suspendImage());
        });
    }

    /** Starts QEMU from the suspend image; the guest continues where it was. */
    public VmInfo resume(UUID uuid) {
        return operate(uuid, "resume", EnumSet.of(SUSPENDED), vm -> {
            refuseIfStartsBlocked(vm.label());
            if (!Files.isRegularFile(vm.paths.suspendImage())) {
                throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, vm.label(), vm.label()
                        + ": its suspend image " + vm.paths.suspendImage() + " is missing: hard-shutdown the VM to discard the suspended state");
            }
            launch(vm, true);
            try {
                new SuspendImage(vm.paths, vm.label()).restore(qmpOf(vm));
                cont(vm);
            } catch (Exception e) {
                killAndClean(vm);
                throw e;
            }
            Files.deleteIfExists(vm.paths.suspendImage());
            setState(vm, RUNNING, "resumed");
        });
    }

    // ---------------------------------------------------------------- live migration

    /**
     * Migrates a running (or paused) VM to a host waiting for it ({@link #receive}). Returns when
     * the VM runs there; the VM is then gone from this host. On failure or cancel it runs on here.
     */
    public VmInfo migrate(UUID uuid, io.atoll.node.api.MigrationRequest request) {
        return operate(uuid, "migrate_send", EnumSet.of(RUNNING, PAUSED), vm -> {
            Migration m = new Migration(qmpOf(vm), vm.label(), request);
            vm.migration = m;
            DiskMirrors mirrors = new DiskMirrors(qmpOf(vm), vm.label(), request.mirrors());
            try {
                if (!request.mirrors().isEmpty()) {
                    mirrors.startAndSync(m::cancelRequested);
                    m.beforeSwitchover(mirrors::finish);
                }
                departed.put(uuid, m.run());
            } catch (NodeException e) {
                mirrors.abort();
                syncRunStateNow(vm);
                throw e;
            }
            stopQemu(vm, Duration.ofSeconds(30));
            synchronized (registry) {
                vms.remove(uuid);
            }
            Processes.deleteTree(vm.paths.stateDir());
            synchronized (vm) {
                vm.state = HALTED;
            }
            emit(vm, "del", "migrated to " + request.uri());
        });
    }

    /** The progress of the VM's outgoing migration, or the final figures of the one that took it away. */
    public io.atoll.node.api.MigrationProgress migrationProgress(UUID uuid) {
        ManagedVm vm = vms.get(uuid);
        Migration m = vm == null ? null : vm.migration;
        if ((m == null || m.progress() == null) && departed.containsKey(uuid)) {
            return departed.get(uuid);
        }
        if (m == null || m.progress() == null) {
            throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, "vm " + uuid, "vm " + uuid + " is not migrating");
        }
        return m.progress();
    }

    /** Asks the VM's outgoing migration to stop; the migrate call then fails with MIGRATION_CANCELLED. */
    public void cancelMigration(UUID uuid) {
        ManagedVm vm = find(uuid);
        Migration m = vm.migration;
        if (m == null || !"migrate_send".equals(vm.operation)) {
            throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, vm.label(), vm.label() + " is not migrating: nothing to cancel");
        }
        m.cancel();
    }

    /**
     * Makes this host wait for a VM migrating in: defines it (or reuses its halted definition),
     * starts QEMU paused and listening, and answers where. When the state has arrived the VM runs
     * here; when the migration fails, QEMU and the definition are removed again.
     */
    public io.atoll.node.api.IncomingInfo receive(io.atoll.node.api.IncomingRequest request) {
        VmSpec spec = request.spec();
        refuseIfStartsBlocked("vm " + spec.name() + " (" + spec.uuid() + ")");
        ManagedVm existing = vms.get(spec.uuid());
        if (existing == null) {
            create(spec);
        }
        ManagedVm vm = find(spec.uuid());
        synchronized (vm) {
            if (vm.operation != null || vm.state != HALTED) {
                throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, vm.label(), vm.label() + " is " + vm.state.name().toLowerCase()
                        + (vm.operation == null ? "" : " ('" + vm.operation + "' in progress)") + " here: it can migrate in only where it is halted or absent");
            }
            vm.operation = "migrate_receive";
        }
        try {
            launch(vm, true, true);
            QmpClient qmp = qmpOf(vm);
            qmp.execute(new QmpCommand.MigrateSetCapabilities(Map.of("events", true)), QMP_TIMEOUT);
            String host = request.listenAddress().contains(":") ? "[" + request.listenAddress() + "]" : request.listenAddress();
            qmp.execute(new QmpCommand.MigrateIncoming("tcp:" + host + ":0"), QMP_TIMEOUT);
            QmpCommand.MigrationInfo info = qmp.execute(new QmpCommand.QueryMigrate(), QMP_TIMEOUT);
            JsonNode address = info.socketAddress() == null ? null : info.socketAddress().path(0);
            if (address == null || address.path("port").isMissingNode()) {
                throw new NodeException(NodeErrorCode.QMP_ERROR, vm.label(), vm.label() + ": QEMU did not say where it listens for the migration");
            }
            String uri = "tcp:" + host + ":" + address.path("port").asText();
            Map<String, String> exports = request.receiveDisks() ? exportDisks(vm, qmp, host) : Map.of();
            setState(vm, PAUSED, "waiting for its state on " + uri);
            Thread watcher = new Thread(() -> awaitIncoming(vm, qmp, exports.keySet()), "migrate-in-" + spec.name());
            watcher.setDaemon(true);
            watcher.start();
            LOG.infof("%s: waiting for the migration on %s", vm.label(), uri);
            return new io.atoll.node.api.IncomingInfo(uri, exports);
        } catch (QmpException | IOException | RuntimeException | InterruptedException e) {
            abandonIncoming(vm, existing == null);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof NodeException ne ? ne : new NodeException(NodeErrorCode.QEMU_START_FAILED, vm.label(),
                    vm.label() + ": cannot wait for the migration: " + e.getMessage(), e);
        }
    }

    /** Storage migration: the new, empty disks exported over NBD for the source to mirror into. */
    private Map<String, String> exportDisks(ManagedVm vm, QmpClient qmp, String host) throws QmpException, IOException {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        qmp.execute(new QmpCommand.Raw("nbd-server-start", Map.of("addr", Map.of("type", "inet",
                "data", Map.of("host", host.replace("[", "").replace("]", ""), "port", Integer.toString(port))))), QMP_TIMEOUT);
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (DiskSpec disk : vm.spec.disks()) {
            qmp.execute(new QmpCommand.Raw("block-export-add", Map.of("type", "nbd", "id", disk.id(), "node-name", disk.id(),
                    "name", disk.id(), "writable", true)), QMP_TIMEOUT);
            out.put(disk.id(), "nbd://" + host + ":" + port + "/" + disk.id());
        }
        return out;
    }

    /**
     * After the switch-over of a storage migration: the exports go once the source has let go of
     * them (the export refuses to go while the source's NBD client holds it), then the server stops.
     */
    private void closeExports(ManagedVm vm, QmpClient qmp, java.util.Set<String> exports) throws QmpException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (String id : exports) {
            while (true) {
                try {
                    qmp.execute(new QmpCommand.Raw("block-export-del", Map.of("id", id)), QMP_TIMEOUT);
                    break;
                } catch (QmpException.CommandFailed stillInUse) {
                    if (System.nanoTime() > deadline) {
                        LOG.warnf("%s: the source still holds export %s after 60 s: removing it anyway", vm.label(), id);
                        qmp.execute(new QmpCommand.Raw("block-export-del", Map.of("id", id, "mode", "hard")), QMP_TIMEOUT);
                        break;
                    }
                    Thread.sleep(20);
                }
            }
        }
        qmp.execute(new QmpCommand.Raw("nbd-server-stop", Map.of()), QMP_TIMEOUT);
    }

    /** Follows an incoming migration to its end: runs the guest, or cleans up. */
    private void awaitIncoming(ManagedVm vm, QmpClient qmp, java.util.Set<String> exports) {
        long connectDeadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);
        Runnable stopListening = qmp.onEvent(e -> {
            if (e.name().equals("MIGRATION")) {
                wake.release(); // the switch-over is seen at once: the guest's pause ends sooner
            }
        });
        try {
            while (true) {
                String status = qmp.execute(new QmpCommand.QueryMigrate(), QMP_TIMEOUT).status();
                if ("completed".equals(status)) {
                    if (!exports.isEmpty()) {
                        closeExports(vm, qmp, exports);
                    }
                    qmp.execute(new QmpCommand.Cont(), QMP_TIMEOUT);
                    synchronized (vm) {
                        vm.operation = null;
                    }
                    setState(vm, RUNNING, "migrated in");
                    LOG.infof("%s: migrated in, running", vm.label());
                    return;
                }
                if ("failed".equals(status) || "cancelled".equals(status)) {
                    throw new QmpException("incoming migration " + status);
                }
                // A storage migration mirrors the disks first, for as long as that takes: no deadline then.
                if (exports.isEmpty() && ("setup".equals(status) || "none".equals(status) || status == null)
                        && System.nanoTime() > connectDeadline) {
                    throw new QmpException("no source connected within 5 minutes");
                }
                wake.tryAcquire(50, TimeUnit.MILLISECONDS);
            }
        } catch (QmpException e) {
            LOG.warnf("%s: incoming migration ended without the VM: %s", vm.label(), e.getMessage());
            abandonIncoming(vm, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandonIncoming(vm, true);
        } finally {
            stopListening.run();
        }
    }

    /** Removes what {@link #receive} set up: QEMU, runtime files, and the definition when it made it. */
    private void abandonIncoming(ManagedVm vm, boolean removeDefinition) {
        killAndClean(vm);
        synchronized (vm) {
            vm.operation = null;
            vm.state = HALTED;
        }
        if (removeDefinition) {
            synchronized (registry) {
                vms.remove(vm.spec.uuid());
            }
            Processes.deleteTree(vm.paths.stateDir());
            emit(vm, "del", "migration in did not complete");
        } else {
            setState(vm, HALTED, "migration in did not complete");
        }
    }

    /** After a failed outgoing migration: QEMU resumes the guest by itself; make the record agree. */
    private void syncRunStateNow(ManagedVm vm) {
        try {
            QmpCommand.StatusInfo status = qmp(vm, new QmpCommand.QueryStatus());
            synchronized (vm) {
                vm.state = status.running() ? RUNNING : PAUSED;
                persist(vm);
            }
        } catch (QmpException | NodeException e) {
            LOG.warnf("%s: cannot read its run state after the migration: %s", vm.label(), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- live disk move

    /**
     * Moves a running (or paused) VM's disk to another disk of this host while the guest runs:
     * the {@link DiskResolver} attaches {@code target}, QEMU mirrors the disk into it and pivots
     * the guest onto it ({@link DiskMove}), the old disk is let go, and the VM's stored spec names
     * the new disk from then on. On failure or cancel the guest runs on its old disk and the new
     * one is detached again.
     */
    public VmInfo moveDisk(UUID uuid, String diskId, Map<String, Object> target) {
        return operate(uuid, "disk_move", EnumSet.of(RUNNING, PAUSED), vm -> {
            DiskSpec from = vm.spec.disks().stream().filter(d -> d.id().equals(diskId)).findFirst()
                    .orElseThrow(() -> new NodeException(NodeErrorCode.INVALID_REQUEST, "disk " + diskId, vm.label() + " has no disk "
                            + diskId + ": its disks are " + vm.spec.disks().stream().map(DiskSpec::id).toList()));
            DiskResolver.Replacement replacement = disks.replace(vm.spec, from, target, vm.label());
            boolean moved = false;
            try {
                DiskMove move = new DiskMove(qmpOf(vm), vm.label(), diskId, replacement.resolved());
                vm.diskMove = move;
                move.run();
                moved = true;
            } finally {
                if (!moved) {
                    replacement.abort();
                }
            }
            replacement.commit();
            synchronized (vm) {
                vm.spec = vm.spec.withDisk(replacement.reference());
                persist(vm);
            }
            emit(vm, "mod", "disk " + diskId + " moved to " + replacement.reference().source());
        });
    }

    /** The VM's live disk move in progress, or how its last one ended. */
    public io.atoll.node.api.DiskMoveProgress diskMoveProgress(UUID uuid, String diskId) {
        ManagedVm vm = find(uuid);
        DiskMove m = vm.diskMove;
        if (m == null || !m.progress().diskId().equals(diskId)) {
            throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, vm.label(), vm.label() + ": disk " + diskId
                    + " has not been moved since the agent started");
        }
        return m.progress();
    }

    /** Asks the VM's disk move to stop; the move call then fails with MIGRATION_CANCELLED, the guest on its old disk. */
    public void cancelDiskMove(UUID uuid, String diskId) {
        ManagedVm vm = find(uuid);
        DiskMove m = vm.diskMove;
        if (m == null || !"disk_move".equals(vm.operation) || !m.progress().diskId().equals(diskId)) {
            throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, vm.label(), vm.label() + ": disk " + diskId
                    + " is not moving: nothing to cancel");
        }
        m.cancel();
    }

    // ---------------------------------------------------------------- HA self-fencing

    /**
     * While {@code message} is set, every start, resume and incoming migration is refused
     * {@code HOST_FENCED} with it; {@code null} allows them again.
     */
    public void blockStarts(String message) {
        startsBlocked = message;
    }

    private void refuseIfStartsBlocked(String label) {
        String m = startsBlocked;
        if (m != null) {
            throw new NodeException(NodeErrorCode.HOST_FENCED, label, m);
        }
    }

    /**
     * The HA self-fence: kills this VM's QEMU at once with SIGKILL, by pid, without waiting for an
     * operation in progress; the VM then reads HALTED with {@link #FENCED_PREFIX} and the reason.
     * Nothing is restarted.
     *
     * @return the pid killed, or {@code null} when no QEMU of the VM ran
     */
    public Long fence(UUID uuid, String reason) {
        ManagedVm vm = vms.get(uuid);
        if (vm == null) {
            return null;
        }
        Long pid = vm.pid;
        if (pid == null) {
            Long p = Processes.readPid(vm.paths.pidFile());
            pid = p != null && Processes.isAlive(p) && Processes.isQemuOf(p, uuid) ? p : null;
        }
        if (pid == null) {
            return null;
        }
        String why = FENCED_PREFIX + reason;
        vm.fenceReason = why;
        io.atoll.host.HostProbe.signal(pid, Processes.SIGKILL);
        LOG.errorf("%s: HA self-fence: SIGKILL sent to qemu (pid %d)", vm.label(), pid);
        boolean unconnected;
        synchronized (vm) {
            unconnected = vm.qmp == null;
        }
        if (unconnected) { // no QMP connection to report the exit: mark it here
            Processes.awaitExit(pid, Duration.ofSeconds(5));
            synchronized (vm) {
                vm.pid = null;
                vm.crashReason = why;
                vm.fenceReason = null;
            }
            Processes.deleteTree(vm.paths.runDir());
            releaseDisks(vm);
            setState(vm, HALTED, why);
        }
        return pid;
    }

    // ---------------------------------------------------------------- the engine

    /** Runs one operation on a VM, refusing it when another runs or the state forbids it; answers the VM after it. */
    private VmInfo operate(UUID uuid, String operation, Set<VmPowerState> allowed, Operation body) {
        ManagedVm vm = find(uuid);
        synchronized (vm) {
            if (vm.operation != null) {
                throw new NodeException(NodeErrorCode.VM_BUSY, vm.label(), vm.label() + ": operation '" + vm.operation
                        + "' is in progress: wait for it to finish, then retry '" + operation + "'");
            }
            if (!allowed.contains(vm.state)) {
                throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, vm.label(), vm.label() + " is "
                        + vm.state.name().toLowerCase() + ": '" + operation + "' needs a VM that is "
                        + String.join(" or ", allowed.stream().map(s -> s.name().toLowerCase()).toList()));
            }
            vm.operation = operation;
        }
        try {
            body.run(vm);
        } catch (NodeException e) {
            LOG.warnf("%s: %s refused or failed: %s", vm.label(), operation, e.getMessage());
            throw e;
        } catch (QmpException e) {
            throw new NodeException(e instanceof QmpException.Timeout ? NodeErrorCode.TIMEOUT : NodeErrorCode.QMP_ERROR,
                    vm.label(), vm.label() + ": " + operation + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new NodeException(NodeErrorCode.INTERNAL, vm.label(), vm.label() + ": " + operation + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeException(NodeErrorCode.INTERNAL, vm.label(), vm.label() + ": " + operation + " interrupted", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new NodeException(NodeErrorCode.INTERNAL, vm.label(), vm.label() + ": " + operation + " failed: " + e, e);
        } finally {
            synchronized (vm) {
                vm.operation = null;
            }
        }
        return info(vm);
    }

    /**
     * Starts QEMU paused ({@code -S}) and connects to its QMP socket. On any failure no process
     * and no runtime directory remain.
     */
    private void launch(ManagedVm vm, boolean incoming) throws IOException, InterruptedException {
        launch(vm, incoming, false);
    }

    /** {@code migrating}: the VM comes from another host, which holds its disks until the switch-over. */
    private void launch(ManagedVm vm, boolean incoming, boolean migrating) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        VmSpec spec = vm.spec;
        Accelerator accel = admission.accelerator(spec);
        Admission.files(spec);
        admission.memory(spec, vm.label(), promisedMemory(spec.uuid()));
        killStale(vm);
        DiskResolver.Lease lease = migrating ? disks.attachIncoming(spec, vm.label()) : disks.attach(spec, vm.label());
        synchronized (vm) {
            vm.disks = lease;
        }
        try {
            launchAttached(vm, spec, lease.spec(), accel, incoming, t0);
        } catch (IOException | InterruptedException | RuntimeException e) {
            releaseDisks(vm); // nothing of the failed start stays attached
            throw e;
        }
    }

    /** {@link #launch(ManagedVm, boolean)} once the disks are attached: {@code resolved} is what QEMU opens. */
    private void launchAttached(ManagedVm vm, VmSpec spec, VmSpec resolved, Accelerator accel, boolean incoming, long t0)
            throws IOException, InterruptedException {
        Path run = vm.paths.runDir();
        createPrivateDir(run);
        createPrivateDir(vm.paths.stateDir());
        writeSecrets(resolved, vm.paths);
        List<String> args = QemuCommandLine.build(config.qemuBinary(), resolved, accel, vm.paths, incoming);
        long tChecked = System.nanoTime();
        LOG.debugf("%s: %s", vm.label(), args);
        Process parent;
        try {
            parent = new ProcessBuilder(args)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(vm.paths.startErrors().toFile())
                    .start();
        } catch (IOException e) {
            Processes.deleteTree(run);
            throw new NodeException(NodeErrorCode.QEMU_START_FAILED, vm.label(), vm.label() + ": cannot run "
                    + config.qemuBinary() + ": " + e.getMessage() + " (is qemu-system-x86 installed?)", e);
        }
        // Connect while QEMU initialises: it greets on QMP the moment it is up, before its
        // daemonizing parent has exited and been reaped, so the guest can be continued sooner.
        QmpClient early = connectWhileStarting(vm, parent);
        if (!parent.waitFor(config.qemuStartTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            parent.destroyForcibly();
            closeQuietly(early);
            killAndClean(vm);
            throw new NodeException(NodeErrorCode.QEMU_START_FAILED, vm.label(), vm.label() + ": QEMU did not finish starting within "
                    + config.qemuStartTimeout().toSeconds() + " s");
        }
        if (parent.exitValue() != 0) {
            closeQuietly(early);
            // QEMU writes its errors to the -D log once that is open, to stderr before.
            List<String> lines = new ArrayList<>(Processes.tail(vm.paths.startErrors(), LOG_TAIL_LINES));
            lines.addAll(Processes.tail(vm.paths.qemuLog(), LOG_TAIL_LINES));
            String message = String.join("\n", lines).strip();
            killAndClean(vm);
            throw new NodeException(NodeErrorCode.QEMU_START_FAILED, vm.label(), vm.label() + ": QEMU refused to start: "
                    + (message.isEmpty() ? "exit code " + parent.exitValue() : message));
        }
        long tDaemonized = System.nanoTime();
        Long pid = Processes.readPid(vm.paths.pidFile());
        if (pid == null) {
            closeQuietly(early);
            killAndClean(vm);
            throw new NodeException(NodeErrorCode.QEMU_START_FAILED, vm.label(), vm.label() + ": QEMU started but wrote no pidfile");
        }
        QmpClient qmp = early;
        if (qmp == null || !qmp.isOpen()) {
            closeQuietly(qmp);
            try {
                qmp = QmpClient.connect(vm.paths.qmpSocket(), spec.name(), QMP_TIMEOUT);
            } catch (IOException | QmpException e) {
                Processes.kill(pid);
                Processes.deleteTree(run);
                throw new NodeException(NodeErrorCode.QEMU_START_FAILED, vm.label(), vm.label() + ": QEMU (pid " + pid
                        + ") does not answer on its QMP socket: " + e.getMessage(), e);
            }
        }
        Processes.deleteTree(vm.paths.secretsDir()); // QEMU has read them
        synchronized (vm) {
            attach(vm, qmp, pid, accel.qemuName());
            vm.startedAt = Instant.now();
            vm.crashReason = null;
            vm.logTail = List.of();
        }
        LOG.infof("%s: qemu started, pid %d, accelerator %s (checks %d ms, qemu init %d ms, qmp %d ms)", vm.label(), pid,
                accel.qemuName(), (tChecked - t0) / 1_000_000, (tDaemonized - tChecked) / 1_000_000,
                (System.nanoTime() - tDaemonized) / 1_000_000);
    }

    /**
     * Waits for QEMU's QMP socket while QEMU starts and connects to it; {@code null} when the
     * daemonizing parent exits first (a refusal, or a start so quick the normal path serves).
     */
    private QmpClient connectWhileStarting(ManagedVm vm, Process parent) throws InterruptedException {
        long deadline = System.nanoTime() + config.qemuStartTimeout().toNanos();
        while (parent.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(vm.paths.qmpSocket())) {
                try {
                    return QmpClient.connect(vm.paths.qmpSocket(), vm.spec.name(), config.qemuStartTimeout());
                } catch (IOException | QmpException e) {
                    return null; // QEMU gave up while starting: the parent's exit code and log say why
                }
            }
            Thread.sleep(1);
        }
        return null;
    }

    private static void closeQuietly(QmpClient qmp) {
        if (qmp != null) {
            qmp.close();
        }
    }

    /** Disk secrets go to files only root can read, which QEMU reads at start; never to its command line. */
    private static void writeSecrets(VmSpec spec, VmPaths paths) throws IOException {
        for (DiskSpec disk : spec.disks()) {
            for (Map.Entry<String, String> secret : disk.secrets().entrySet()) {
                Path dir = paths.secretsDir();
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir);
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                }
                Path file = dir.resolve(secret.getKey());
                Files.deleteIfExists(file);
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, secret.getValue());
            }
        }
    }

    private void attach(ManagedVm vm, QmpClient qmp, long pid, String accelerator) {
        vm.qmp = qmp;
        vm.pid = pid;
        vm.accelerator = accelerator;
        vm.shutdownReason = null;
        vm.expectExit = false;
        vm.exited = new java.util.concurrent.CompletableFuture<>();
        qmp.onEvent(event -> onQmpEvent(vm, qmp, event));
        qmp.onClose(() -> onQmpClosed(vm, qmp, pid));
    }

    private void onQmpEvent(ManagedVm vm, QmpClient qmp, QmpEvent event) {
        LOG.debugf("%s: qmp event %s %s", vm.label(), event.name(), event.data());
        if (event.name().equals("STOP") || event.name().equals("RESUME")) {
            // May be the late echo of an operation's own stop/cont: ask QEMU what is true now.
            syncRunState(vm, qmp);
            return;
        }
        synchronized (vm) {
            if (vm.qmp != qmp) {
                return;
            }
            switch (event.name()) {
                case "SHUTDOWN" -> vm.shutdownReason = event.data().path("reason").asText("unknown");
                case "RESET" -> {
                    if (vm.operation == null) {
                        emit(vm, "mod", "guest reset");
                    }
                }
                default -> {
                    // block jobs, migration: followed by the operations that start them
                }
            }
        }
    }

    /** Sets RUNNING or PAUSED from QEMU's own run state, unless an operation owns the VM by then. */
    private void syncRunState(ManagedVm vm, QmpClient qmp) {
        synchronized (vm) {
            if (vm.qmp != qmp || vm.operation != null) {
                return;
            }
        }
        QmpCommand.StatusInfo status;
        try {
            status = qmp.execute(new QmpCommand.QueryStatus(), QMP_TIMEOUT);
        } catch (QmpException e) {
            return; // QEMU is going away: the close handler reports it
        }
        synchronized (vm) {
            if (vm.qmp != qmp || vm.operation != null || (vm.state != RUNNING && vm.state != PAUSED)) {
                return;
            }
            VmPowerState now = status.running() ? RUNNING : PAUSED;
            if (now != vm.state) {
                setState(vm, now, "qemu " + (status.running() ? "resumed" : "stopped") + " the vCPUs (" + status.status() + ")");
            }
        }
    }

    /** QEMU's QMP connection ended: it exited, was killed, or crashed. */
    private void onQmpClosed(ManagedVm vm, QmpClient qmp, long pid) {
        if (qmp.closedLocally()) {
            return;
        }
        if (!Processes.awaitExit(pid, Duration.ofSeconds(10))) {
            LOG.warnf("%s: QMP closed but qemu (pid %d) still runs: killing it", vm.label(), pid);
            Processes.kill(pid);
        }
        synchronized (vm) {
            if (vm.qmp != qmp) {
                return;
            }
        }
        releaseDisks(vm); // before the VM reads halted, and before the operation waiting for the exit goes on
        synchronized (vm) {
            if (vm.qmp != qmp) {
                return;
            }
            vm.qmp = null;
            vm.pid = null;
            vm.startedAt = null;
            List<String> tail = Processes.tail(vm.paths.qemuLog(), LOG_TAIL_LINES);
            Processes.deleteTree(vm.paths.runDir());
            if (vm.fenceReason != null) {
                vm.crashReason = vm.fenceReason;
                vm.fenceReason = null;
                LOG.warnf("%s: qemu (pid %d) killed by the HA self-fence", vm.label(), pid);
                setState(vm, HALTED, vm.crashReason);
            } else if (!vm.expectExit && !"migrate_receive".equals(vm.operation)) {
                if (vm.shutdownReason != null) {
                    LOG.infof("%s: qemu exited after a shutdown (%s)", vm.label(), vm.shutdownReason);
                    setState(vm, HALTED, "powered off (" + vm.shutdownReason + ")");
                } else {
                    vm.crashReason = "QEMU (pid " + pid + ") exited unexpectedly: killed, or it aborted";
                    vm.logTail = tail;
                    LOG.warnf("%s: crashed: %s; last qemu log lines: %s", vm.label(), vm.crashReason, tail);
                    setState(vm, CRASHED, vm.crashReason);
                }
            }
            vm.expectExit = false;
            vm.exited.complete(null);
        }
    }

    private void cont(ManagedVm vm) throws QmpException {
        qmp(vm, new QmpCommand.Cont());
    }

    private <R> R qmp(ManagedVm vm, QmpCommand<R> command) throws QmpException {
        return qmpOf(vm).execute(command, QMP_TIMEOUT);
    }

    private QmpClient qmpOf(ManagedVm vm) {
        synchronized (vm) {
            if (vm.qmp == null) {
                throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, vm.label(), vm.label() + ": QEMU is not running");
            }
            return vm.qmp;
        }
    }

    /** Clean: ACPI power button and wait; hard (or after the timeout): {@link #stopQemu}. */
    private void powerOff(ManagedVm vm, boolean force, Duration timeout) throws Exception {
        if (!force) {
            java.util.concurrent.CompletableFuture<Void> exited;
            synchronized (vm) {
                vm.expectExit = true;
                exited = vm.exited;
            }
            qmp(vm, new QmpCommand.SystemPowerdown());
            try {
                exited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                LOG.infof("%s: guest powered off", vm.label());
                return;
            } catch (TimeoutException e) {
                LOG.infof("%s: guest did not power off within %d s after the ACPI power button: stopping it hard",
                        vm.label(), timeout.toSeconds());
            }
        }
        stopQemu(vm, Duration.ofSeconds(15));
    }

    /** Ends QEMU: QMP {@code quit} (disks flushed), SIGKILL when it does not go. */
    private void stopQemu(ManagedVm vm, Duration timeout) throws InterruptedException {
        java.util.concurrent.CompletableFuture<Void> exited;
        QmpClient qmp;
        Long pid;
        synchronized (vm) {
            vm.expectExit = true;
            exited = vm.exited;
            qmp = vm.qmp;
            pid = vm.pid;
        }
        if (qmp == null) {
            return;
        }
        try {
            qmp.execute(new QmpCommand.Quit(), QMP_TIMEOUT);
        } catch (QmpException.ConnectionClosed e) {
            // it went away while quitting: that's the goal
        } catch (QmpException e) {
            LOG.warnf("%s: quit failed (%s): killing qemu", vm.label(), e.getMessage());
            Processes.kill(pid);
        }
        try {
            exited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            LOG.warnf("%s: qemu (pid %d) did not exit within %d s: killing it", vm.label(), pid, timeout.toSeconds());
            Processes.kill(pid);
            qmp.close();
            synchronized (vm) {
                vm.qmp = null;
                vm.pid = null;
                vm.startedAt = null;
                vm.expectExit = false;
            }
            Processes.deleteTree(vm.paths.runDir());
            releaseDisks(vm);
        }
    }

    /** Kills this VM's QEMU if one runs (found through the pidfile) and removes the runtime directory. */
    private void killAndClean(ManagedVm vm) {
        QmpClient qmp;
        synchronized (vm) {
            qmp = vm.qmp;
            vm.expectExit = true;
        }
        Long pid = Processes.readPid(vm.paths.pidFile());
        if (pid != null && Processes.isQemuOf(pid, vm.spec.uuid())) {
            Processes.kill(pid);
        }
        if (qmp != null) {
            qmp.close();
        }
        synchronized (vm) {
            vm.qmp = null;
            vm.pid = null;
            vm.startedAt = null;
            vm.expectExit = false;
        }
        Processes.deleteTree(vm.paths.runDir());
        releaseDisks(vm);
    }

    /** Releases what the VM's last QEMU held through the {@link DiskResolver}, once. */
    private void releaseDisks(ManagedVm vm) {
        DiskResolver.Lease lease;
        synchronized (vm) {
            lease = vm.disks;
            vm.disks = null;
        }
        if (lease != null) {
            lease.release();
        }
    }

    /** A QEMU of this VM left from before (unreachable over QMP) must never run beside a new one. */
    private void killStale(ManagedVm vm) {
        Long pid = Processes.readPid(vm.paths.pidFile());
        if (pid != null && Processes.isAlive(pid) && Processes.isQemuOf(pid, vm.spec.uuid())) {
            LOG.warnf("%s: killing a stale qemu (pid %d) before starting", vm.label(), pid);
            Processes.kill(pid);
        }
        Processes.deleteTree(vm.paths.runDir());
    }

    private void setState(ManagedVm vm, VmPowerState state, String detail) {
        synchronized (vm) {
            vm.state = state;
            persist(vm);
            emit(vm, "mod", detail);
        }
    }

    private Duration timeout(ShutdownRequest request) {
        return request != null && request.timeoutSeconds() != null
                ? Duration.ofSeconds(request.timeoutSeconds()) : config.cleanShutdownTimeout();
    }

    /** Memory promised to the VMs with a QEMU process, except one, in bytes. */
    private long promisedMemory(UUID except) {
        long promised = 0;
        for (ManagedVm v : vms.values()) {
            if (v.pid != null && !v.spec.uuid().equals(except)) {
                promised += v.spec.memoryMiB() * 1024 * 1024;
            }
        }
        return promised;
    }

    // ---------------------------------------------------------------- persistence and adoption

    private void persist(ManagedVm vm) {
        VmRecord rec = new VmRecord(vm.spec, vm.state, vm.crashReason, vm.logTail);
        Path file = vm.paths.record();
        Path tmp = file.resolveSibling("vm.json.tmp");
        try {
            Files.createDirectories(file.getParent());
            JSON.writeValue(tmp.toFile(), rec);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(vm.label() + ": cannot save its state in " + file, e);
        }
    }

    private void loadAndAdopt() {
        List<Path> dirs;
        try (var list = Files.list(config.stateDir())) {
            dirs = list.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the VM state directory " + config.stateDir(), e);
        }
        for (Path dir : dirs) {
            Path file = dir.resolve("vm.json");
            if (!Files.isRegularFile(file)) {
                continue;
            }
            VmRecord rec;
            try {
                rec = JSON.readValue(file.toFile(), VmRecord.class);
            } catch (IOException e) {
                LOG.errorf("cannot read %s, skipping that VM: %s", file, e.getMessage());
                continue;
            }
            ManagedVm vm = new ManagedVm(rec.spec(), VmPaths.of(config, rec.spec().uuid()));
            vm.state = rec.powerState();
            vm.crashReason = rec.crashReason();
            vm.logTail = rec.qemuLogTail();
            vms.put(rec.spec().uuid(), vm);
            adopt(vm);
        }
        LOG.infof("VM store %s: %d VM(s), %d running", config.stateDir(), vms.size(),
                vms.values().stream().filter(v -> v.pid != null).count());
    }

    private void adopt(ManagedVm vm) {
        Long pid = Processes.readPid(vm.paths.pidFile());
        boolean wasRunning = vm.state == RUNNING || vm.state == PAUSED || Files.exists(vm.paths.runDir());
        if (pid != null && Processes.isAlive(pid) && Processes.isQemuOf(pid, vm.spec.uuid())) {
            try {
                QmpClient qmp = QmpClient.connect(vm.paths.qmpSocket(), vm.spec.name(), QMP_TIMEOUT);
                QmpCommand.UuidInfo uuid = qmp.execute(new QmpCommand.QueryUuid(), QMP_TIMEOUT);
                if (!vm.spec.uuid().toString().equalsIgnoreCase(uuid.UUID())) {
                    qmp.close();
                    throw new IOException("QMP reports uuid " + uuid.UUID());
                }
                QmpCommand.StatusInfo status = qmp.execute(new QmpCommand.QueryStatus(), QMP_TIMEOUT);
                String accel = commandLineAccelerator(pid);
                DiskResolver.Lease lease = adoptDisks(vm);
                synchronized (vm) {
                    attach(vm, qmp, pid, accel);
                    vm.disks = lease;
                    vm.startedAt = processStart(pid);
                    vm.state = status.running() ? RUNNING : PAUSED;
                    persist(vm);
                }
                LOG.infof("%s: adopted qemu pid %d (%s)", vm.label(), pid, status.status());
                emit(vm, "mod", "adopted (" + status.status() + ")");
                if (!qmp.isOpen()) {
                    onQmpClosed(vm, qmp, pid);
                }
                return;
            } catch (IOException | QmpException e) {
                LOG.errorf("%s: qemu pid %d runs but cannot be adopted over QMP (%s); it will be killed before any new start",
                        vm.label(), pid, e.getMessage());
                vm.state = CRASHED;
                vm.crashReason = "QEMU (pid " + pid + ") runs but does not answer QMP: " + e.getMessage();
                persist(vm);
                return;
            }
        }
        if (wasRunning) {
            vm.state = CRASHED;
            vm.crashReason = "QEMU exited while the agent was not running";
            vm.logTail = Processes.tail(vm.paths.qemuLog(), LOG_TAIL_LINES);
            Processes.deleteTree(vm.paths.runDir());
            LOG.warnf("%s: %s", vm.label(), vm.crashReason);
            persist(vm);
            disks.ended(vm.spec, vm.label());
        }
    }

    /** The adopted QEMU holds its disks whatever the resolver says: a refusal is logged, the VM adopted. */
    private DiskResolver.Lease adoptDisks(ManagedVm vm) {
        try {
            return disks.adopt(vm.spec, vm.label());
        } catch (RuntimeException e) {
            LOG.errorf("%s: its running qemu keeps its disks open, but they could not be recorded as attached: %s",
                    vm.label(), e.getMessage());
            return DiskResolver.Lease.of(vm.spec);
        }
    }

    private static String commandLineAccelerator(long pid) {
        try {
            String[] args = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"))).split("\0");
            for (int i = 0; i + 1 < args.length; i++) {
                if (args[i].equals("-accel")) {
                    return args[i + 1];
                }
            }
        } catch (IOException ignored) {
            // unknown
        }
        return null;
    }

    private static Instant processStart(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).orElse(null);
    }

    // ---------------------------------------------------------------- helpers

    private ManagedVm find(UUID uuid) {
        ManagedVm vm = vms.get(uuid);
        if (vm == null) {
            throw new NodeException(NodeErrorCode.VM_NOT_FOUND, "vm " + uuid, "vm " + uuid + " is not on this host: list VMs with GET /api/v1/vms");
        }
        return vm;
    }

    private VmInfo info(ManagedVm vm) {
        synchronized (vm) {
            return new VmInfo(vm.spec.uuid(), vm.spec.name(), vm.state, vm.pid, vm.pid == null ? null : vm.accelerator,
                    vm.startedAt, vm.operation, vm.state == CRASHED || (vm.state == HALTED && vm.crashReason != null
                            && vm.crashReason.startsWith(FENCED_PREFIX)) ? vm.crashReason : null,
                    vm.state == CRASHED ? vm.logTail : List.of(), vm.spec.redacted());
        }
    }

    private String qemuVersion() {
        for (ManagedVm vm : vms.values()) {
            QmpClient qmp = vm.qmp;
            if (qmp != null && qmp.greeting() != null) {
                var q = qmp.greeting().path("version").path("qemu");
                return q.path("major").asInt() + "." + q.path("minor").asInt() + "." + q.path("micro").asInt();
            }
        }
        return QemuVersion.of(config.qemuBinary());
    }

    private static void createPrivateDir(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create directory " + dir, e);
        }
    }

    /** Disconnects from every QEMU; the VMs keep running and a new manager adopts them. */
    @Override
    public void close() {
        for (ManagedVm vm : vms.values()) {
            QmpClient qmp;
            synchronized (vm) {
                qmp = vm.qmp;
            }
            if (qmp != null) {
                qmp.close();
            }
        }
    }

    /** For tests and shutdown: the uuids of VMs with a QEMU process. */
    public List<UUID> runningVms() {
        List<UUID> out = new ArrayList<>();
        for (ManagedVm vm : vms.values()) {
            if (vm.pid != null) {
                out.add(vm.spec.uuid());
            }
        }
        return out;
    }
}
