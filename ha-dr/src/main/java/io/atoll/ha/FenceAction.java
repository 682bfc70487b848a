package io.atoll.ha;

/**
 * What a host does to fence itself. In the node agent: kill the QEMU processes of its protected VMs by
 * pid (SIGKILL, no clean shutdown: the deadline is short and the disks will be opened elsewhere).
 * Called once, on the self-fence thread; it should return within a fraction of T.
 */
@FunctionalInterface
public interface FenceAction {
    void fence(String reason) throws Exception;
}
