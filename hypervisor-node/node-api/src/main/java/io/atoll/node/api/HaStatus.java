package io.atoll.node.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A host's HA state ({@code GET /api/v1/ha}).
 *
 * @param enabled            whether the agent is a cluster member with heartbeats and a self-fence running
 * @param member             this host's member name, {@code host/UUID}
 * @param view               the members of its current view (member names), coordinator first
 * @param majority           whether that view holds a strict majority of the quorum
 * @param lastStatefileWrite when this host's last statefile write completed, or null
 * @param statefileReadable  whether the heartbeat area could be read just now (within a short bound)
 * @param statefile          every host's heartbeat read from it just now (empty when unreadable)
 * @param fenced             whether this host fenced itself and was not re-admitted yet
 * @param fencedAt           when, or null
 * @param fenceReason        why, or null
 * @param epochSeen          the highest master epoch this agent has seen
 * @param protectedVms       the VMs the self-fence kills
 */
public record HaStatus(boolean enabled, String member, List<String> view, boolean majority, Instant lastStatefileWrite,
                       boolean statefileReadable, List<HaHeartbeat> statefile, boolean fenced, Instant fencedAt,
                       String fenceReason, long epochSeen, List<UUID> protectedVms) {
}
