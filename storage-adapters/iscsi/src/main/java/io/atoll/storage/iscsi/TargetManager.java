package io.atoll.storage.iscsi;

import java.io.Closeable;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * The array's management side: where an iSCSI repository's volumes, LUN mappings and catalog
 * live. {@link TgtadmTargetManager} drives Linux tgt with {@code tgtadm} and plain files; a
 * vendor replaces this interface with calls to its array's API and keeps everything else.
 *
 * <p>Terms: a <em>volume</em> is the storage of one disk on the array (a backing file, an array
 * volume), named by the adapter (a disk uuid) and unique within a repository; a <em>LUN</em> is a
 * volume exported through the repository's target. The <em>catalog</em> is the repository's
 * metadata as {@link Properties}; the adapter owns its content.
 *
 * <p>Every method may be called from any thread and from several hosts at once; callers hold
 * {@link #lock(String)} around every change of a repository. Methods that talk to the array fail
 * with {@code UNAVAILABLE} when it does not answer (within the configured timeout), never hang.
 */
public interface TargetManager {

    /**
     * Opens the manager of the array a repository's device-config names. Called for every
     * create, probe, attach and destroy; must not touch the array yet.
     */
    @FunctionalInterface
    interface Factory {
        TargetManager open(io.atoll.storage.spi.SrConfig config);
    }

    /**
     * Checks that the management interface answers.
     *
     * @throws io.atoll.storage.spi.StorageException {@code UNAVAILABLE}
     */
    void ping();

    /** The uuids of the repositories whose catalog is at this location (for probing). */
    List<String> repositories();

    /**
     * Makes the space of a new repository (its directory). Its catalog is written next.
     *
     * @throws io.atoll.storage.spi.StorageException {@code ALREADY_EXISTS}
     */
    void createRepository(String srUuid);

    /** Removes a repository's volumes, catalog and space. Idempotent. */
    void deleteRepository(String srUuid);

    /**
     * Takes the repository's lock, exclusive among all hosts and threads, until the returned
     * handle is closed. Waits for it as long as it takes.
     *
     * @throws io.atoll.storage.spi.StorageException {@code NOT_FOUND} when the repository is not there
     */
    Closeable lock(String srUuid);

    /** The catalog, or empty when the repository is not there. Never a half-written one. */
    Optional<Properties> readCatalog(String srUuid);

    /** Replaces the catalog atomically: a reader sees the old one or the new one. */
    void writeCatalog(String srUuid, Properties catalog);

    /**
     * Creates a volume that reads as zeroes.
     *
     * @throws io.atoll.storage.spi.StorageException {@code NO_SPACE} when the array cannot hold it
     */
    void createVolume(String srUuid, String volume, long size);

    /**
     * Sets a volume's size. The adapter grows volumes; it shrinks one only to undo a grow it did
     * not commit, so the bytes cut were never exported.
     */
    void resizeVolume(String srUuid, String volume, long size);

    /**
     * Copies a volume's data and size into {@code destination}, replacing it atomically if it
     * exists: on failure {@code destination} is as before. The source must not be exported
     * read-write while this runs.
     *
     * @throws io.atoll.storage.spi.StorageException {@code NO_SPACE} when the array cannot hold it
     */
    void copyVolume(String srUuid, String source, String destination);

    /** Deletes a volume. Idempotent. */
    void deleteVolume(String srUuid, String volume);

    /**
     * Deletes the repository's volumes not in {@code keep}, and what interrupted copies left: the
     * remains of an agent that died between making a volume and writing the catalog. Called under
     * {@link #lock(String)}, when no change of the repository can be half-way.
     *
     * @return what was deleted, for the log
     */
    List<String> deleteVolumesExcept(String srUuid, java.util.Set<String> keep);

    /** Whether a target with this IQN exists on the array (owned by anyone). */
    boolean targetExists(String iqn);

    /**
     * Makes the target exist with exactly these LUNs and this CHAP account, creating, adding and
     * removing what differs; LUNs that already match are left alone (initiators keep their
     * sessions). Idempotent: the adapter calls it before each operation, which also brings an
     * array that lost its configuration (a restarted tgtd) back in line with the catalog.
     */
    void export(TargetExport export);

    /**
     * Removes the target and its LUN mappings; volumes stay. Idempotent.
     *
     * @throws io.atoll.storage.spi.StorageException {@code IN_USE} when initiators are logged in
     */
    void unexport(String iqn);

    /** What a target should look like. */
    record TargetExport(String srUuid, String iqn, Optional<Chap> chap, List<Lun> luns) {
        public TargetExport {
            Objects.requireNonNull(srUuid, "srUuid");
            Objects.requireNonNull(iqn, "iqn");
            chap = chap == null ? Optional.empty() : chap;
            luns = List.copyOf(luns);
        }
    }

    /**
     * One LUN of a target.
     *
     * @param number the LUN number, 1 or above (tgt keeps LUN 0 for its controller)
     * @param volume the volume it exports
     * @param readOnly whether initiators may only read it (snapshots)
     */
    record Lun(int number, String volume, boolean readOnly) {
        public Lun {
            if (number < 1) {
                throw new IllegalArgumentException("LUN " + number + ": disks start at LUN 1");
            }
            Objects.requireNonNull(volume, "volume");
        }
    }
}
