package io.atoll.node.api;

import java.util.UUID;

/**
 * {@code POST /api/v1/storage/srs/{sr}/release-host}: break the disk locks of a fenced host.
 *
 * @param host the host whose attachments are forgotten (never the host answering)
 */
public record ReleaseHostRequest(UUID host) {
}
