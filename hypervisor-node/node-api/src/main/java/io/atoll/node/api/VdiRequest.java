package io.atoll.node.api;

import java.util.Map;

/**
 * The bodies of the disk operations on a host's attached repository
 * ({@code /api/v1/storage/srs/{sr}/disks…}). Each record names what it needs.
 */
public final class VdiRequest {
    private VdiRequest() {
    }

    /** {@code POST …/disks}: a new empty disk. */
    public record Create(String name, long virtualSize, Map<String, String> metadata) {
        public Create {
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        }
    }

    /** {@code POST …/disks/{id}/snapshot}: a read-only snapshot, live when a VM here writes the disk. */
    public record Snapshot(String name) {
    }

    /** {@code POST …/disks/{id}/clone}: a new writable disk; {@code mode} LINKED (default) or FULL. */
    public record Clone(String name, String mode) {
    }

    /** {@code POST …/disks/{id}/revert}: back to one of the disk's snapshots (the disk not attached). */
    public record Revert(String snapshotId) {
    }

    /** {@code POST …/disks/{id}/resize}: grow to {@code virtualSize} bytes. */
    public record Resize(long virtualSize) {
    }
}
