package io.atoll.node.api;

import java.time.Instant;

/**
 * One host's statefile heartbeat as read from the heartbeat area.
 *
 * @param host      the writer (its host uuid)
 * @param counter   grows by one per write: freshness is this moving, as seen on the reader's clock
 * @param timestamp the writer's wall clock at the write, for people
 */
public record HaHeartbeat(String host, long counter, Instant timestamp) {
}
