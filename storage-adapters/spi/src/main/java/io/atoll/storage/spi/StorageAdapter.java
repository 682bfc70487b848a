package io.atoll.storage.spi;

import java.util.List;
import java.util.Set;

/**
 * One storage type on one host process. Thread-safe: the host may call it from several threads,
 * for different repositories at once.
 *
 * <p>Repository lifecycle, in XAPI's terms: {@link #create} once for the pool (on one host),
 * {@link #attach} on every host that uses it (each attach gives a {@link StorageRepository}),
 * {@link StorageRepository#detach()} on each, {@link #destroy} once when detached everywhere.
 */
public interface StorageAdapter {

    /** What this adapter can do. Constant for the life of the adapter. */
    Set<StorageBehavior> behaviors();

    /** The device-config keys this adapter reads, with a line of help each (for CLIs and errors). */
    default List<ConfigKey> configKeys() {
        return List.of();
    }

    /** A device-config key: its name, whether it is required, whether its value is secret, what it is. */
    record ConfigKey(String name, boolean required, boolean secret, String description) {
    }

    /**
     * Creates a new, empty repository at the location the device-config names (formats a volume
     * group, creates a directory…). Called once for the pool, on one host, with nothing attached.
     * After it returns the repository exists and can be attached on any host that reaches it.
     *
     * @throws StorageException {@code ALREADY_EXISTS} when a repository is there already,
     *     {@code UNAVAILABLE} when the storage cannot be reached, {@code INVALID_ARGUMENT} for a
     *     missing or bad device-config value. Nothing is changed when it throws.
     */
    SrInfo create(SrConfig config);

    /**
     * Lists the repositories that exist at the location the device-config names, so that an
     * administrator can attach one the pool does not know yet (after a reinstall, or from another
     * pool). Called on any host; changes nothing.
     */
    default List<SrInfo> probe(SrConfig config) {
        throw StorageException.notSupported(StorageBehavior.SUPPORTS_PROBE);
    }

    /**
     * Makes the repository usable on this host: connects to the server, checks that the
     * repository there is the one with this uuid. Called on each host that uses it, again after a
     * host restart. Idempotent: attaching an attached repository returns the same view.
     *
     * @throws StorageException {@code NOT_FOUND} when no repository with this uuid is there,
     *     {@code UNAVAILABLE} when the storage cannot be reached
     */
    StorageRepository attach(SrConfig config);

    /**
     * Removes the repository and everything in it from the storage. Called once, on one host,
     * after it has been detached everywhere; the pool has checked that no disk is in use.
     *
     * @throws StorageException {@code IN_USE} when this host still has disks attached
     */
    void destroy(SrConfig config);
}
