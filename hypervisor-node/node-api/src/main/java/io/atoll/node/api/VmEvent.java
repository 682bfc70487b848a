package io.atoll.node.api;

import java.time.Instant;
import java.util.UUID;

/**
 * A change of a VM on a host, streamed by the agent ({@code GET /api/v1/events}, Server-Sent
 * Events). Events carry a per-agent sequence number that grows by one.
 *
 * @param seq sequence number, starting at 1 for each agent process
 * @param at when it happened
 * @param vm the VM's uuid
 * @param name the VM's name
 * @param kind {@code add}, {@code mod} (a power-state change or an operation) or {@code del}
 * @param powerState the VM's power state after the change
 * @param detail what happened, for an administrator ("guest powered off", "qemu exited unexpectedly")
 */
public record VmEvent(long seq, Instant at, UUID vm, String name, String kind, VmPowerState powerState, String detail) {
}
