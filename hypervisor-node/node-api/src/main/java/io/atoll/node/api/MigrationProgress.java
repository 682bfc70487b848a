package io.atoll.node.api;

/**
 * How an outgoing migration goes, read from QEMU.
 *
 * @param status QEMU's migration status: setup, active, completed, failed, cancelling, cancelled…
 * @param transferredBytes bytes sent so far
 * @param remainingBytes memory still to send
 * @param totalBytes the guest's memory
 * @param dirtyBytesPerSecond how fast the guest dirties memory
 * @param expectedDowntimeMs the pause QEMU expects at the switch-over now
 * @param downtimeLimitMs the pause allowed now (raised when the migration stalls)
 * @param downtimeMs the pause the guest saw, once completed
 * @param totalTimeMs time since the migration started
 */
public record MigrationProgress(String status, long transferredBytes, long remainingBytes, long totalBytes,
                                long dirtyBytesPerSecond, long expectedDowntimeMs, long downtimeLimitMs, long downtimeMs,
                                long totalTimeMs) {
}
