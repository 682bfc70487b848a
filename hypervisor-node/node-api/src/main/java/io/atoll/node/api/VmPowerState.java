package io.atoll.node.api;

/**
 * The power state of a VM as a host sees it, in XAPI's vocabulary, plus {@code CRASHED} for a
 * QEMU process that ended without being asked to.
 */
public enum VmPowerState {
    /** Defined on the host, no QEMU process. */
    HALTED,
    /** QEMU runs and the guest's vCPUs run. */
    RUNNING,
    /** QEMU runs, the vCPUs are stopped; memory stays in QEMU. */
    PAUSED,
    /** No QEMU process; the memory state is saved in a file and resume continues from it. */
    SUSPENDED,
    /** QEMU ended on its own (killed, aborted); the last lines of its log are kept. */
    CRASHED
}
