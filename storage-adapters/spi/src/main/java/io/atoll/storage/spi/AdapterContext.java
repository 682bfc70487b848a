package io.atoll.storage.spi;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What the host gives an adapter.
 *
 * @param hostUuid the host this process runs on; shared storage records it as the holder of
 *     read-write attachments
 * @param workDir a directory of the adapter's own on this host (created, private to root), for
 *     state it keeps per host: attachment records, lock files, mount points
 * @param commands runs external tools (qemu-img, lvm, tgtadm…) as argument lists
 */
public record AdapterContext(String hostUuid, Path workDir, CommandRunner commands) {
    public AdapterContext {
        Objects.requireNonNull(hostUuid, "hostUuid");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(commands, "commands");
    }
}
