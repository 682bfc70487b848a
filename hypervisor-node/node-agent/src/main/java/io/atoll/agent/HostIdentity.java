package io.atoll.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.UUID;

/**
 * This host's identity: a uuid created at the agent's first start and kept in
 * {@code atoll.agent.host-uuid-file}, so it survives restarts, upgrades and address changes. The
 * pool master takes it as the host's uuid at join, and storage adapters record it as the holder of
 * shared disks. A machine that is reinstalled (the file gone) is a new host.
 *
 * @param uuid the host's uuid
 */
public record HostIdentity(UUID uuid) {
    public HostIdentity {
        Objects.requireNonNull(uuid, "uuid");
    }

    /** Reads the file, or creates it with a random uuid (mode 0644: it is no secret). */
    static HostIdentity readOrCreate(Path file) {
        try {
            if (Files.exists(file)) {
                return new HostIdentity(UUID.fromString(Files.readString(file).trim()));
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            UUID uuid = UUID.randomUUID();
            Files.writeString(file, uuid + "\n");
            return new HostIdentity(uuid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the host uuid file " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the host uuid file " + file + " holds no uuid: restore it from a backup, or delete it to "
                    + "make this machine a new host (eject the old one from its pool first)", e);
        }
    }
}
