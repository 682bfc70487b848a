package io.atoll.storage.qcow2;

import java.util.List;
import java.util.Map;

/**
 * Where a qcow2 repository keeps its files: a local directory, a directory on an NFS export
 * reached without a kernel mount… The chain logic ({@link Qcow2Repository}) works on names only;
 * the store says how QEMU and qemu-img reach a name, and reads and writes the small record files.
 * Names are plain file names (no '/'), chosen by the repository.
 */
public interface ImageStore {

    /** What qemu-img takes as the file name of an image ({@code /srv/sr/x.qcow2}, {@code nfs://host/export/x.qcow2}). */
    String location(String name);

    /**
     * How an overlay's header names its backing image {@code name} of this store: the plain name
     * (resolved next to the overlay) by default. A store whose QEMU driver cannot resolve relative
     * names (QEMU 7.2's nfs driver) gives the full location instead.
     */
    default String backingReference(String name) {
        return name;
    }

    /** The {@code -blockdev} protocol node options of an image (file, nfs…). */
    Map<String, Object> protocol(String name);

    /** Whether the file exists. */
    boolean exists(String name);

    /** The names of the files in the store. */
    List<String> list();

    /** A small text file (a record), or {@code null} when it does not exist. */
    String read(String name);

    /** Writes a small text file so that readers see the old or the new content, never half. */
    void write(String name, String content);

    /** Creates a small text file only if it does not exist yet; returns whether it did (an atomic claim). */
    boolean create(String name, String content);

    /** Deletes a file; nothing when it is gone already. */
    void delete(String name);

    /** Bytes the store holds in all and bytes in use, as {@code {total, used}}. */
    long[] space();

    /** Bytes a file takes on the storage. */
    long allocated(String name);

    /**
     * Creates the store's location (a directory) for a new repository. An existing empty
     * directory is fine; one holding files is refused with {@code INVALID_ARGUMENT}.
     */
    void initialize();

    /** Removes the store's location and all in it. */
    void destroy();

    /** Whether the storage can be reached now; throws {@code UNAVAILABLE} with the reason when not. */
    void checkReachable();

    /**
     * Like {@link #checkReachable()}, but a location that does not exist yet is fine (before
     * {@link #initialize()}): only the server or file system holding it must answer.
     */
    default void checkReachableOrAbsent() {
    }

    /**
     * The repository's heartbeat area for the HA statefile (a hidden {@code .atoll-ha} directory
     * of the store, say). Stores that cannot host one keep this default.
     */
    default io.atoll.storage.spi.HeartbeatArea heartbeatArea() {
        throw io.atoll.storage.spi.StorageException.notSupported(io.atoll.storage.spi.StorageBehavior.SUPPORTS_HEARTBEAT);
    }
}
