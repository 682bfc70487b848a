package io.atoll.storage.spi;

import java.util.Map;

/**
 * A small area on a shared repository where each host keeps one heartbeat record: the HA
 * statefile. Every host writes its own record every few seconds and reads everyone's; a host
 * that cannot reach the storage sees its writes fail, which is what makes the statefile a
 * heartbeat independent of the network the cluster uses.
 *
 * <p>Obtained through {@link StorageRepository#heartbeatArea()} on repositories whose adapter
 * declares {@link StorageBehavior#SUPPORTS_HEARTBEAT}. Thread-safe. Every call is bounded in time:
 * it fails with {@code UNAVAILABLE} when the storage does not answer, never hangs.
 */
public interface HeartbeatArea {

    /**
     * Replaces {@code host}'s record atomically and durably: a reader sees the old content or the
     * new one, never a mix, and the new one survives a crash of this host once this returns.
     *
     * @param host the writer's name: 1 to 200 of {@code [A-Za-z0-9._-]} (a host uuid)
     * @throws StorageException {@code INVALID_ARGUMENT} for a bad name, {@code UNAVAILABLE} when
     *     the storage cannot be written now
     */
    void write(String host, byte[] content);

    /**
     * Every host's last record, by host name.
     *
     * @throws StorageException {@code UNAVAILABLE} when the storage cannot be read now
     */
    Map<String, byte[]> readAll();

    /** Checks a host name given to {@link #write}. */
    static String checkHost(String host) {
        if (host == null || !host.matches("[A-Za-z0-9._-]{1,200}") || host.startsWith(".")) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT,
                    "heartbeat host name '" + host + "' must be 1 to 200 of [A-Za-z0-9._-], not starting with '.'");
        }
        return host;
    }
}
