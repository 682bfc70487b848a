package io.atoll.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * An asynchronous QMP event ({@code SHUTDOWN}, {@code STOP}, {@code RESUME}, {@code RESET},
 * {@code BLOCK_JOB_*}, {@code MIGRATION}…).
 *
 * @param name the event name
 * @param data its data object (an empty object when QEMU sent none)
 * @param timestamp when QEMU emitted it
 */
public record QmpEvent(String name, JsonNode data, Instant timestamp) {
}
