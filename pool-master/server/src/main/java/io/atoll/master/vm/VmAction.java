package io.atoll.master.vm;

import java.util.UUID;

/**
 * What a client asked to be done to a VM. The REST layer only parses requests into these;
 * {@link VmService} accepts one (locks the VM, creates the task) and {@link VmOperations} carries
 * it out on a worker.
 */
public sealed interface VmAction {

    /** The operation this action performs: what the VM's lock and allowed operations name. */
    VmOperation operation();

    /** Valid on a halted VM. {@code host}: the host to start on, or {@code null} to let placement choose. */
    record Start(UUID host) implements VmAction {
        @Override
        public VmOperation operation() {
            return VmOperation.START;
        }
    }

    /**
     * Clean (running VMs): the ACPI power button, hard after {@code timeoutSeconds} (the agent's
     * default when {@code null}). Force: QEMU ends at once; valid on running, paused, suspended
     * and crashed VMs.
     */
    record Shutdown(boolean force, Integer timeoutSeconds) implements VmAction {
        public Shutdown {
            if (timeoutSeconds != null && (timeoutSeconds < 0 || timeoutSeconds > 86_400)) {
                throw new IllegalArgumentException("timeoutSeconds is " + timeoutSeconds + ": give 0 to 86400 seconds");
            }
        }

        @Override
        public VmOperation operation() {
            return force ? VmOperation.HARD_SHUTDOWN : VmOperation.CLEAN_SHUTDOWN;
        }
    }

    /** Clean (running VMs): a clean shutdown and a start on the same host. Force: a reset; also valid when paused. */
    record Reboot(boolean force, Integer timeoutSeconds) implements VmAction {
        public Reboot {
            if (timeoutSeconds != null && (timeoutSeconds < 0 || timeoutSeconds > 86_400)) {
                throw new IllegalArgumentException("timeoutSeconds is " + timeoutSeconds + ": give 0 to 86400 seconds");
            }
        }

        @Override
        public VmOperation operation() {
            return force ? VmOperation.HARD_REBOOT : VmOperation.CLEAN_REBOOT;
        }
    }

    /** Valid on a running VM: its vCPUs stop, its memory stays in QEMU. */
    record Pause() implements VmAction {
        @Override
        public VmOperation operation() {
            return VmOperation.PAUSE;
        }
    }

    /** Valid on a paused VM. */
    record Unpause() implements VmAction {
        @Override
        public VmOperation operation() {
            return VmOperation.UNPAUSE;
        }
    }

    /** Valid on a running or paused VM: memory goes to a file on its host, QEMU ends; the VM stays resident there. */
    record Suspend() implements VmAction {
        @Override
        public VmOperation operation() {
            return VmOperation.SUSPEND;
        }
    }

    /** Valid on a suspended VM: it continues on the host holding its memory image. */
    record Resume() implements VmAction {
        @Override
        public VmOperation operation() {
            return VmOperation.RESUME;
        }
    }

    /**
     * Valid on a halted VM, template or snapshot: removes it and its devices from the pool. Its
     * virtual disks stay unless {@code deleteDisks} (then those no other VM uses are destroyed);
     * image files always stay.
     */
    record Destroy(boolean deleteDisks) implements VmAction {
        @Override
        public VmOperation operation() {
            return VmOperation.DESTROY;
        }
    }

    /**
     * Valid on a running or paused VM: moves it to {@code host} (placement chooses another host
     * when {@code null}) while it runs. With {@code sr}, a storage migration: every disk is mirrored
     * into a new disk in that repository (attached on the target) and the old disks are destroyed
     * once the VM runs there. {@code bandwidthMiBps} caps the transfer; the downtime
     * limits are the agent's defaults when {@code null}.
     */
    record Migrate(UUID host, Long bandwidthMiBps, Long downtimeLimitMs, Long maxDowntimeMs, UUID sr) implements VmAction {
        /** A migration on storage both hosts see. */
        public Migrate(UUID host, Long bandwidthMiBps, Long downtimeLimitMs, Long maxDowntimeMs) {
            this(host, bandwidthMiBps, downtimeLimitMs, maxDowntimeMs, null);
        }

        public Migrate {
            if (bandwidthMiBps != null && bandwidthMiBps < 1) {
                throw new IllegalArgumentException("bandwidthMiBps is " + bandwidthMiBps + ": give 1 or more, or omit it for no limit");
            }
            if (downtimeLimitMs != null && downtimeLimitMs < 1) {
                throw new IllegalArgumentException("downtimeLimitMs is " + downtimeLimitMs + ": give 1 or more");
            }
        }

        @Override
        public VmOperation operation() {
            return VmOperation.POOL_MIGRATE;
        }
    }

    /** Snapshots every disk into a new snapshot VM named {@code name} (unique among this VM's snapshots). */
    record Snapshot(String name) implements VmAction {
        public Snapshot {
            checkName(name);
        }

        @Override
        public VmOperation operation() {
            return VmOperation.SNAPSHOT;
        }
    }

    /** A new halted VM {@code name} with clones of the disks (linked, or full copies when {@code full}). */
    record Clone(String name, boolean full) implements VmAction {
        public Clone {
            checkName(name);
        }

        @Override
        public VmOperation operation() {
            return VmOperation.CLONE;
        }
    }

    /** Back to {@code snapshot}, one of this VM's snapshots: its disks and hardware. */
    record Revert(UUID snapshot) implements VmAction {
        public Revert {
            if (snapshot == null) {
                throw new IllegalArgumentException("revert needs 'snapshot': the uuid of one of the VM's snapshots");
            }
        }

        @Override
        public VmOperation operation() {
            return VmOperation.REVERT;
        }
    }

    /**
     * Valid on a halted, running or paused VM: a VIF on a pool network. Running or paused, the
     * network is realised on the VM's host and the NIC hot-plugged there; halted, it is only
     * recorded (the next start has it). {@code nic} is resolved already (network uuid, MAC, id).
     */
    record PlugVif(io.atoll.node.api.NicSpec nic) implements VmAction {
        public PlugVif {
            java.util.Objects.requireNonNull(nic, "nic");
        }

        @Override
        public VmOperation operation() {
            return VmOperation.VIF_PLUG;
        }
    }

    /** Valid on a halted, running or paused VM: removes the VIF {@code id} (hot-unplugged when the VM runs). */
    record UnplugVif(String id) implements VmAction {
        public UnplugVif {
            java.util.Objects.requireNonNull(id, "id");
        }

        @Override
        public VmOperation operation() {
            return VmOperation.VIF_UNPLUG;
        }
    }

    private static void checkName(String name) {
        if (name == null || name.isBlank() || name.length() > 64 || !name.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw new IllegalArgumentException("name '" + name + "' is invalid: give 1-64 printable characters");
        }
    }
}
