package io.atoll.master.vm;

import static io.atoll.node.api.VmPowerState.CRASHED;
import static io.atoll.node.api.VmPowerState.HALTED;
import static io.atoll.node.api.VmPowerState.PAUSED;
import static io.atoll.node.api.VmPowerState.RUNNING;
import static io.atoll.node.api.VmPowerState.SUSPENDED;

import com.fasterxml.jackson.annotation.JsonValue;
import io.atoll.node.api.VmPowerState;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The operations on a VM (XAPI's names) and the power states each is allowed in. A VM's
 * {@code allowedOperations} are those of its power state while no operation runs, none while
 * one does.
 */
public enum VmOperation {
    START(HALTED),
    CLEAN_SHUTDOWN(RUNNING),
    /** Also acknowledges a crash, and discards a suspended VM's saved memory. */
    HARD_SHUTDOWN(RUNNING, PAUSED, SUSPENDED, CRASHED),
    CLEAN_REBOOT(RUNNING),
    HARD_REBOOT(RUNNING, PAUSED),
    PAUSE(RUNNING),
    UNPAUSE(PAUSED),
    SUSPEND(RUNNING, PAUSED),
    RESUME(SUSPENDED),
    DESTROY(HALTED),
    /** Moves a running VM to another host without stopping it (shared storage). */
    POOL_MIGRATE(RUNNING, PAUSED),
    /** Snapshots every disk (live when running) into a new snapshot VM. */
    SNAPSHOT(HALTED, RUNNING, PAUSED),
    /** A new halted VM with linked clones of the disks; also the way to make a VM from a template or a snapshot. */
    CLONE(HALTED),
    /** Brings the VM's disks and hardware back to one of its snapshots. */
    REVERT(HALTED),
    /** Plugs a VIF in (hot while running or paused). A VIF's operation in XAPI's model: not listed in the VM's allowed operations. */
    VIF_PLUG(HALTED, RUNNING, PAUSED),
    /** Unplugs a VIF (hot while running or paused); not listed in the VM's allowed operations either. */
    VIF_UNPLUG(HALTED, RUNNING, PAUSED);

    private final Set<VmPowerState> allowedIn;

    VmOperation(VmPowerState first, VmPowerState... more) {
        this.allowedIn = EnumSet.of(first, more);
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean allowedIn(VmPowerState state) {
        return allowedIn.contains(state);
    }

    public Set<VmPowerState> allowedIn() {
        return EnumSet.copyOf(allowedIn);
    }

    /** What a VM in {@code state} allows while {@code current} runs on it ({@code null}: nothing runs). */
    public static List<VmOperation> allowed(VmPowerState state, VmOperation current) {
        return allowed(VmKind.VM, state, current);
    }

    /** The same for any kind: templates and snapshots only clone and destroy. */
    public static List<VmOperation> allowed(VmKind kind, VmPowerState state, VmOperation current) {
        if (current != null) {
            return List.of();
        }
        return Arrays.stream(values()).filter(op -> !op.isDeviceOperation() && op.allowedFor(kind) && op.allowedIn(state)).toList();
    }

    /** VIF plug/unplug: they take the VM's lock, but belong to the device, not to the VM's allowed operations. */
    public boolean isDeviceOperation() {
        return this == VIF_PLUG || this == VIF_UNPLUG;
    }

    /** Whether a VM of this kind can have this operation at all. */
    public boolean allowedFor(VmKind kind) {
        return kind == VmKind.VM || this == CLONE || this == DESTROY;
    }
}
