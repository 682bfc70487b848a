package io.atoll.node.api;

import java.util.List;
import java.util.UUID;

/**
 * The HA settings the pool master gives a host's agent ({@code PUT /api/v1/ha}).
 *
 * @param enabled       false: the agent leaves the cluster and stops its heartbeats (as {@code DELETE})
 * @param timeoutSeconds T, the HA timeout every timer derives from (ha-dr's {@code HaTimings}); at least 2
 * @param bindAddress   the address of this host the JGroups member listens on
 * @param port          its TCP port
 * @param initialHosts  JGroups TCPPING entries {@code "addr[port]"} of every member (hosts and master instances)
 * @param quorum        the expected members as ha-dr's {@code MemberId} prints them: {@code host/UUID}, {@code master/NAME}
 * @param statefileSr   a repository attached on this agent whose adapter supports a heartbeat area
 * @param protectedVms  the VMs the master restarts elsewhere if this host dies: the self-fence kills them here
 * @param epoch         the epoch of the master sending this; clears a fence when ≥ the highest the agent has seen
 */
public record HaConfig(boolean enabled, int timeoutSeconds, String bindAddress, int port, List<String> initialHosts,
                       List<String> quorum, UUID statefileSr, List<UUID> protectedVms, long epoch) {
    public HaConfig {
        initialHosts = initialHosts == null ? List.of() : List.copyOf(initialHosts);
        quorum = quorum == null ? List.of() : List.copyOf(quorum);
        protectedVms = protectedVms == null ? List.of() : List.copyOf(protectedVms);
    }
}
