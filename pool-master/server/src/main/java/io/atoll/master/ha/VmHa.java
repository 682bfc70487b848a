package io.atoll.master.ha;

import java.util.UUID;

/**
 * A VM's HA policy.
 *
 * @param vm                the VM
 * @param restartPriority   restart, best-effort or none
 * @param restartOrder      lower restarts first (0 by default)
 * @param startDelaySeconds how long the restarts wait after this VM's start before the next one
 * @param restartPending    its host died and it has not been started elsewhere yet
 */
public record VmHa(UUID vm, RestartPriority restartPriority, int restartOrder, int startDelaySeconds, boolean restartPending) {
}
