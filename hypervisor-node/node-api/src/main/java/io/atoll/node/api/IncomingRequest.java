package io.atoll.node.api;

import java.util.Objects;

/**
 * Makes a host wait for a VM migrating in: QEMU starts paused, listening for the VM's state.
 *
 * @param spec the VM, as on the source host (its disks must open here: shared storage)
 * @param listenAddress the address of this host the source connects to (the migration network's)
 * @param receiveDisks storage migration: the spec's disks are new, empty disks here of the same
 *     sizes, exported over NBD for the source to mirror into; {@code false} when both hosts share
 *     the disks
 */
public record IncomingRequest(VmSpec spec, String listenAddress, boolean receiveDisks) {
    public IncomingRequest {
        Objects.requireNonNull(spec, "spec is required");
        if (listenAddress == null || listenAddress.isBlank()) {
            listenAddress = "127.0.0.1";
        } else if (!listenAddress.matches("[0-9A-Za-z.:\\[\\]-]{1,64}")) {
            throw new IllegalArgumentException("listenAddress '" + listenAddress + "' is not an address");
        }
    }

    /** A migration on shared storage. */
    public IncomingRequest(VmSpec spec, String listenAddress) {
        this(spec, listenAddress, false);
    }
}
