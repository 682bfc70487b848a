package io.atoll.node.api;

import java.time.Instant;

/** One host's last heartbeat in the statefile: its counter moves while the host lives; the timestamp is for people. */
public record HaHeartbeat(String host, long counter, Instant timestamp) {
}
