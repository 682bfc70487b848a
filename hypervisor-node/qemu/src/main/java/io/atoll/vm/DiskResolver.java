package io.atoll.vm;

import io.atoll.node.api.VmSpec;

/**
 * Turns the disks of a VM's spec into what QEMU opens, for as long as QEMU runs: the hook through
 * which the node agent attaches disks of its storage repositories ({@code {"driver":"atoll-vdi",…}}
 * sources, see {@link io.atoll.node.api.DiskSpec#VDI_DRIVER}) before QEMU starts and detaches them
 * once it has ended.
 *
 * <p>{@link VmManager} calls {@link #attach} each time it starts QEMU for a VM (start, clean
 * reboot, resume from suspend, an incoming migration), after its own admission checks and before
 * building the command line, and releases the {@link Lease} exactly once when that QEMU has ended
 * (guest power-off, crash, shutdown, suspend, migrated away, a failed start), before the operation
 * that stopped it returns. After an agent restart it calls {@link #adopt} for each VM whose QEMU
 * still runs, and {@link #ended} for each VM whose QEMU ended while no agent watched it. The VM's
 * stored spec is never changed: only the command line sees the resolved disks.
 *
 * <p>Calls may come from any thread, for different VMs at once; never twice at once for one VM.
 */
public interface DiskResolver {

    /** Disks are opened as their spec says; nothing to attach or release. */
    DiskResolver IDENTITY = (spec, label) -> Lease.of(spec);

    /**
     * Attaches what the VM's disks need on this host and answers the spec QEMU is to open. All or
     * nothing: when it throws, nothing it attached stays attached.
     *
     * @param label the VM, for messages ({@code vm web1 (3f2a…)})
     * @throws NodeException naming the disk and what to do
     */
    Lease attach(VmSpec spec, String label);

    /**
     * As {@link #attach}, for a VM migrating in: its source host still holds the disks
     * read-write until the switch-over, and the resolver takes them over from it
     * (io.atoll.storage.spi.StorageRepository#attachForIncomingMigration).
     */
    default Lease attachIncoming(VmSpec spec, String label) {
        return attach(spec, label);
    }

    /**
     * A QEMU started by a previous agent still runs with these disks open: record that it holds
     * them (re-attaching, which adapters do idempotently). Failures are the resolver's to log; the
     * VM is adopted regardless.
     */
    default Lease adopt(VmSpec spec, String label) {
        return attach(spec, label);
    }

    /** The VM's QEMU ended while no agent was running: release what it held. Never throws. */
    default void ended(VmSpec spec, String label) {
    }

    /**
     * A live disk move: attaches {@code target} (an {@code atoll-vdi} reference) for the running
     * VM as the future replacement of its disk {@code disk}, after checking it can take the disk's
     * place (same virtual size, free to write). Nothing changes for the VM's current disks until
     * {@link Replacement#commit}; {@link Replacement#abort} detaches the target again.
     *
     * @throws NodeException naming the disk and what to do; nothing stays attached then
     */
    default Replacement replace(VmSpec spec, io.atoll.node.api.DiskSpec disk, java.util.Map<String, Object> target, String label) {
        throw new NodeException(io.atoll.node.api.NodeErrorCode.OPERATION_NOT_ALLOWED, "disk " + disk.id(), label
                + ": disks of this host cannot be moved (no storage repositories here)");
    }

    /** A disk attached to take another's place in a running VM: the outcome of {@link #replace}. */
    interface Replacement {
        /** The new disk as QEMU opens it (the same id as the disk it replaces). */
        io.atoll.node.api.DiskSpec resolved();

        /** The new disk as the VM's spec names it from now on. */
        io.atoll.node.api.DiskSpec reference();

        /** The guest runs on the new disk and QEMU let go of the old one: the VM holds the new disk, the old is detached. */
        void commit();

        /** The move did not happen: the new disk is detached, the old one stays held. Never throws. */
        void abort();
    }

    /** What one QEMU of a VM holds, from its start to its end. */
    interface Lease {
        /** The spec with every disk in a form QEMU opens. */
        VmSpec spec();

        /** Releases what {@link DiskResolver#attach} took. Idempotent; never throws. */
        void release();

        /** A lease that holds nothing. */
        static Lease of(VmSpec spec) {
            return of(spec, () -> { });
        }

        /** A lease whose release runs {@code onRelease} the first time only. */
        static Lease of(VmSpec spec, Runnable onRelease) {
            java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
            return new Lease() {
                @Override
                public VmSpec spec() {
                    return spec;
                }

                @Override
                public void release() {
                    if (released.compareAndSet(false, true)) {
                        onRelease.run();
                    }
                }
            };
        }
    }
}
