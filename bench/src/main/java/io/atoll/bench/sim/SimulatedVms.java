package io.atoll.bench.sim;

import io.atoll.node.api.Accelerator;
import io.atoll.node.api.HostFacts;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static io.atoll.node.api.VmPowerState.CRASHED;
import static io.atoll.node.api.VmPowerState.HALTED;
import static io.atoll.node.api.VmPowerState.PAUSED;
import static io.atoll.node.api.VmPowerState.RUNNING;
import static io.atoll.node.api.VmPowerState.SUSPENDED;

/**
 * The VMs of one simulated host, in memory: the node agent's state machine and admission rules
 * (io.atoll.vm.VmManager) without QEMU, files or guests. A power operation changes the state at
 * once, after an optional delay that stands for QEMU's own time; the memory of running and paused
 * VMs is promised, as the agent counts it, so a host fills up and placement matters.
 *
 * <p>Thread-safe: one monitor per host; the simulated delay runs outside it, with the VM marked
 * busy as the agent marks it.
 */
final class SimulatedVms {
    private static final long MIB = 1L << 20;
    /** Fake QEMU pids: unique in the farm, far above real ones so nobody mistakes them. */
    private static final AtomicLong PIDS = new AtomicLong(4_000_000);

    private final String hostname;
    private final long memoryTotalBytes;
    private final long reserveBytes;
    private final Duration operationDelay;
    private final Map<UUID, Vm> vms = new HashMap<>();

    private static final class Vm {
        final VmSpec spec;
        VmPowerState state = HALTED;
        Long pid;
        Instant startedAt;
        String operation;

        Vm(VmSpec spec) {
            this.spec = spec;
        }
    }

    /** Each simulated host has an identity of its own, as a real agent's host-uuid file gives it. */
    private final UUID hostUuid = UUID.randomUUID();

    SimulatedVms(String hostname, long memoryTotalBytes, long reserveBytes, Duration operationDelay) {
        this.hostname = hostname;
        this.memoryTotalBytes = memoryTotalBytes;
        this.reserveBytes = reserveBytes;
        this.operationDelay = operationDelay;
    }

    synchronized HostFacts facts() {
        long promised = promised();
        long free = memoryTotalBytes - promised;
        int running = (int) vms.values().stream().filter(v -> v.pid != null).count();
        return new HostFacts(hostUuid, hostname, 64, "Simulated CPU (atoll bench, no QEMU)", memoryTotalBytes, free, free,
                Math.max(0, Math.min(free - reserveBytes, memoryTotalBytes - reserveBytes - promised)), 1L << 40,
                new HostFacts.KvmInfo(true, 12, true, "simulated host"), Accelerator.KVM, "simulated", running);
    }

    synchronized List<VmInfo> list() {
        return vms.values().stream().map(SimulatedVms::info).sorted(Comparator.comparing(VmInfo::name)).toList();
    }

    synchronized VmInfo get(UUID uuid) {
        return info(find(uuid));
    }

    synchronized VmInfo create(VmSpec spec) {
        if (vms.containsKey(spec.uuid())) {
            throw new SimulatedRefusal(NodeErrorCode.VM_ALREADY_EXISTS, "vm " + spec.uuid(),
                    "vm " + spec.uuid() + " already exists on this host: give the new VM another uuid, or omit it");
        }
        for (Vm other : vms.values()) {
            if (other.spec.name().equals(spec.name())) {
                throw new SimulatedRefusal(NodeErrorCode.VM_NAME_TAKEN, "vm " + spec.name(), "a VM named '" + spec.name()
                        + "' already exists on this host (" + other.spec.uuid() + "): choose another name");
            }
        }
        if (spec.memoryMiB() * MIB > memoryTotalBytes - reserveBytes) {
            throw new SimulatedRefusal(NodeErrorCode.INSUFFICIENT_MEMORY, "vm " + spec.name(), "vm " + spec.name() + " asks for "
                    + spec.memoryMiB() + " MiB but this host has " + memoryTotalBytes / MIB + " MiB in all: give it less memory");
        }
        Vm vm = new Vm(spec);
        vms.put(spec.uuid(), vm);
        return info(vm);
    }

    void destroy(UUID uuid) {
        operate(uuid, "destroy", EnumSet.of(HALTED, CRASHED, SUSPENDED), vm -> {
            synchronized (this) {
                vms.remove(uuid);
            }
        });
    }

    VmInfo start(UUID uuid) {
        return operate(uuid, "start", EnumSet.of(HALTED, CRASHED), vm -> run(vm, RUNNING));
    }

    VmInfo shutdown(UUID uuid, ShutdownRequest request) {
        boolean force = request != null && request.force();
        Set<VmPowerState> allowed = force ? EnumSet.of(RUNNING, PAUSED, SUSPENDED, CRASHED) : EnumSet.of(RUNNING);
        return operate(uuid, force ? "hard_shutdown" : "clean_shutdown", allowed, vm -> stop(vm, HALTED));
    }

    VmInfo reboot(UUID uuid, ShutdownRequest request) {
        boolean force = request != null && request.force();
        return operate(uuid, force ? "hard_reboot" : "clean_reboot", force ? EnumSet.of(RUNNING, PAUSED) : EnumSet.of(RUNNING), vm -> {
        });
    }

    VmInfo pause(UUID uuid) {
        return operate(uuid, "pause", EnumSet.of(RUNNING), vm -> setState(vm, PAUSED));
    }

    VmInfo unpause(UUID uuid) {
        return operate(uuid, "unpause", EnumSet.of(PAUSED), vm -> setState(vm, RUNNING));
    }

    VmInfo suspend(UUID uuid) {
        return operate(uuid, "suspend", EnumSet.of(RUNNING, PAUSED), vm -> stop(vm, SUSPENDED));
    }

    VmInfo resume(UUID uuid) {
        return operate(uuid, "resume", EnumSet.of(SUSPENDED), vm -> run(vm, RUNNING));
    }

    /** A VM gets a (fake) QEMU process: admitted against the memory still free for VMs, as the agent admits it. */
    private synchronized void run(Vm vm, VmPowerState state) {
        long free = Math.max(0, memoryTotalBytes - reserveBytes - promised()); // "available" is total less promised here
        if (vm.spec.memoryMiB() * MIB > free) {
            throw new SimulatedRefusal(NodeErrorCode.INSUFFICIENT_MEMORY, label(vm), label(vm) + " needs " + vm.spec.memoryMiB()
                    + " MiB but this host has " + free / MIB + " MiB free for VMs: give the VM less memory, or stop other VMs on this host");
        }
        vm.pid = PIDS.incrementAndGet();
        vm.startedAt = Instant.now();
        vm.state = state;
    }

    private synchronized void stop(Vm vm, VmPowerState state) {
        vm.pid = null;
        vm.startedAt = null;
        vm.state = state;
    }

    private synchronized void setState(Vm vm, VmPowerState state) {
        vm.state = state;
    }

    private interface Operation {
        void run(Vm vm);
    }

    /** The agent's engine: refuse while another operation runs or when the state forbids it; answer the VM after it. */
    private VmInfo operate(UUID uuid, String operation, Set<VmPowerState> allowed, Operation body) {
        Vm vm;
        synchronized (this) {
            vm = find(uuid);
            if (vm.operation != null) {
                throw new SimulatedRefusal(NodeErrorCode.VM_BUSY, label(vm), label(vm) + ": operation '" + vm.operation
                        + "' is in progress: wait for it to finish, then retry '" + operation + "'");
            }
            if (!allowed.contains(vm.state)) {
                throw new SimulatedRefusal(NodeErrorCode.OPERATION_NOT_ALLOWED, label(vm), label(vm) + " is "
                        + vm.state.name().toLowerCase() + ": '" + operation + "' needs a VM that is "
                        + String.join(" or ", allowed.stream().map(s -> s.name().toLowerCase()).toList()));
            }
            vm.operation = operation;
        }
        try {
            if (!operationDelay.isZero()) {
                Thread.sleep(operationDelay.toMillis());
            }
            body.run(vm);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SimulatedRefusal(NodeErrorCode.INTERNAL, label(vm), label(vm) + ": " + operation + " interrupted");
        } finally {
            synchronized (this) {
                vm.operation = null;
            }
        }
        synchronized (this) {
            return info(vm);
        }
    }

    private Vm find(UUID uuid) {
        Vm vm = vms.get(uuid);
        if (vm == null) {
            throw new SimulatedRefusal(NodeErrorCode.VM_NOT_FOUND, "vm " + uuid, "vm " + uuid + " is not on this host: list VMs with GET /api/v1/vms");
        }
        return vm;
    }

    /** Memory of the VMs with a (fake) QEMU process, as the agent's promisedMemory counts it. */
    private long promised() {
        long sum = 0;
        for (Vm v : vms.values()) {
            if (v.pid != null) {
                sum += v.spec.memoryMiB() * MIB;
            }
        }
        return sum;
    }

    private static VmInfo info(Vm vm) {
        String accel = vm.pid == null ? null : (vm.spec.accelerator() == Accelerator.TCG ? Accelerator.TCG : Accelerator.KVM).qemuName();
        return new VmInfo(vm.spec.uuid(), vm.spec.name(), vm.state, vm.pid, accel, vm.startedAt, vm.operation, null, null, vm.spec);
    }

    private static String label(Vm vm) {
        return "vm " + vm.spec.uuid() + " (" + vm.spec.name() + ")";
    }
}
