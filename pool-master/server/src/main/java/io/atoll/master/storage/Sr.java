package io.atoll.master.storage;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A storage repository as clients see it. Its device-config is not shown: it may hold secrets
 * (CHAP passwords) and only the hosts need it.
 *
 * @param uuid its id, also its id on every host
 * @param name unique in the pool
 * @param description free text
 * @param type the adapter type
 * @param shared whether every host can attach it at once
 * @param host for a repository that is not shared, the host it lives on
 * @param physicalSize bytes it holds in all, at the last look
 * @param physicalUtilisation bytes in use
 * @param virtualAllocation sum of its disks' virtual sizes
 * @param attachments each host's attachment (XAPI's PBDs)
 * @param created when the pool created or introduced it
 */
public record Sr(UUID uuid, String name, String description, String type, boolean shared, UUID host, long physicalSize,
                 long physicalUtilisation, long virtualAllocation, List<Attachment> attachments, Instant created) {

    /**
     * @param host the host
     * @param attached whether the repository is usable there now
     * @param reason why not, when it is not
     */
    public record Attachment(UUID host, boolean attached, String reason) {
    }
}
