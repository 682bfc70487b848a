package io.atoll.node.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A host's HA state as its agent sees it ({@code GET /api/v1/ha}).
 *
 * @param enabled            whether HA runs here
 * @param member             this host's cluster member name ({@code host/UUID})
 * @param view               the members of its current cluster view
 * @param majority           whether that view is the majority partition
 * @param lastStatefileWrite when its last heartbeat write to the statefile completed
 * @param statefileReadable  whether it could read the statefile just now
 * @param statefile          the heartbeats it read there (every host's)
 * @param fenced             whether it has fenced itself (and not yet been re-admitted)
 * @param fencedAt           when
 * @param fenceReason        why
 * @param epochSeen          the highest master epoch it has seen
 * @param protectedVms       the VMs a self-fence stops
 */
public record HaStatus(boolean enabled, String member, List<String> view, boolean majority, Instant lastStatefileWrite,
                       boolean statefileReadable, List<HaHeartbeat> statefile, boolean fenced, Instant fencedAt,
                       String fenceReason, long epochSeen, List<UUID> protectedVms) {
    public HaStatus {
        view = view == null ? List.of() : List.copyOf(view);
        statefile = statefile == null ? List.of() : List.copyOf(statefile);
        protectedVms = protectedVms == null ? List.of() : List.copyOf(protectedVms);
    }
}
