package io.atoll.node.api;

import java.util.List;
import java.util.UUID;

/**
 * What the pool master tells a host's agent about HA ({@code PUT /api/v1/ha}).
 *
 * @param enabled       whether the host takes part in HA
 * @param timeoutSeconds the pool's HA timeout T, from which every HA timer derives
 * @param bindAddress   where this host's cluster member listens (its management address)
 * @param port          its cluster port
 * @param initialHosts  every member's cluster address, {@code addr[port]} (hosts and master instances)
 * @param quorum        the expected members ({@code host/UUID}, {@code master/NAME}): majority is counted against them
 * @param statefileSr   the repository (attached here) whose heartbeat area holds the statefile
 * @param protectedVms  the VMs the master restarts elsewhere when this host dies: the ones a self-fence stops
 * @param epoch         the active master's epoch
 */
public record HaConfig(boolean enabled, int timeoutSeconds, String bindAddress, int port, List<String> initialHosts,
                       List<String> quorum, UUID statefileSr, List<UUID> protectedVms, long epoch) {
    public HaConfig {
        initialHosts = initialHosts == null ? List.of() : List.copyOf(initialHosts);
        quorum = quorum == null ? List.of() : List.copyOf(quorum);
        protectedVms = protectedVms == null ? List.of() : List.copyOf(protectedVms);
    }
}
