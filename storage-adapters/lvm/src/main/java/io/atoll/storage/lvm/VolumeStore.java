package io.atoll.storage.lvm;

import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The volumes of one volume group and the steps every operation is made of: reading the tree,
 * locating a volume's window, making a volume with a fresh image (and removing it again when the
 * image cannot be written), retagging. Stateless apart from the group's fixed geometry.
 */
final class VolumeStore {
    private static final System.Logger LOG = System.getLogger(VolumeStore.class.getName());

    final Lvm lvm;
    final QemuImg img;
    final String vg;
    private final long peStart;
    private final long extentSize;

    VolumeStore(Lvm lvm, QemuImg img, String vg, long peStart, long extentSize) {
        this.lvm = lvm;
        this.img = img;
        this.vg = vg;
        this.peStart = peStart;
        this.extentSize = extentSize;
    }

    /**
     * The volumes as they are now on the device (read again each time: other hosts change them).
     *
     * @throws StorageException {@code UNAVAILABLE} when the device is gone from this host
     */
    VolumeTree tree() {
        if (!Files.exists(Path.of(lvm.device()))) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "device " + lvm.device() + " of volume group " + vg
                    + " is not on this host: reconnect the LUN (iSCSI session, multipath) and retry");
        }
        return new VolumeTree(lvm.volumes(vg));
    }

    /**
     * Where the volume's bytes are on the device.
     *
     * @throws StorageException {@code CORRUPT} when the volume is not contiguous (someone extended
     *     it by hand): an offset window cannot describe it
     */
    Window window(Volume v) {
        if (v.segments() != 1) {
            throw new StorageException(StorageErrorCode.CORRUPT, "volume " + vg + "/" + v.lvName() + " has " + v.segments()
                    + " segments: this adapter needs contiguous volumes (was it extended with lvextend by hand?)");
        }
        return new Window(lvm.device(), peStart + v.firstExtent() * extentSize, v.size());
    }

    /** Extents a volume needs for a qcow2 image of this virtual size, fully written. */
    long extentsFor(long virtualSize) {
        return (img.volumeBytes(virtualSize) + extentSize - 1) / extentSize;
    }

    long extentSize() {
        return extentSize;
    }

    /**
     * Checks that the group has room for volumes of these virtual sizes before anything is made.
     *
     * @param what the operation, for the message ("snapshot of disk X")
     * @throws StorageException {@code NO_SPACE} saying how much is needed and free
     */
    long[] reserve(String what, long... virtualSizes) {
        Lvm.Vg g = lvm.vg(vg);
        long[] extents = new long[virtualSizes.length];
        long needed = 0;
        for (int i = 0; i < virtualSizes.length; i++) {
            if (virtualSizes[i] > g.size()) {
                throw noSpace(what, virtualSizes[i], g);
            }
            extents[i] = extentsFor(virtualSizes[i]);
            needed += extents[i] * extentSize;
        }
        if (needed > g.free()) {
            throw new StorageException(StorageErrorCode.NO_SPACE, what + " needs " + needed + " bytes (" + mib(needed)
                    + " MiB: volumes are thick, each holds its disk's full size plus qcow2 metadata) but volume group " + vg
                    + " has " + g.free() + " bytes (" + mib(g.free()) + " MiB) free");
        }
        return extents;
    }

    private StorageException noSpace(String what, long virtualSize, Lvm.Vg g) {
        return new StorageException(StorageErrorCode.NO_SPACE, what + " needs more than " + virtualSize
                + " bytes but volume group " + vg + " holds " + g.size() + " bytes in all (" + g.free() + " free)");
    }

    /**
     * Makes a volume holding a new qcow2 image. The volume is created {@link Tags#PENDING} and the
     * flag is dropped once the image is written; if writing fails the volume is removed, so that
     * no volume without a valid image stays behind.
     *
     * @param tags its tags (besides {@code born}, {@code size} and {@code parent}, added here)
     * @param parent the volume the image reads through, or {@code null}
     * @param bitmap whether the image gets the tracking bitmap
     * @param keepPending leave the pending flag for the caller to drop with its own tags
     * @return the new volume as now on the device
     */
    Volume create(long extents, long virtualSize, List<String> tags, Volume parent, boolean bitmap, boolean keepPending) {
        String lv = "vol-" + UUID.randomUUID();
        List<String> all = new ArrayList<>(tags);
        all.add(Tags.tag(Tags.BORN, Long.toString(System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000)));
        all.add(Tags.tag(Tags.SIZE, Long.toString(virtualSize)));
        if (parent != null) {
            all.add(Tags.tag(Tags.PARENT, parent.lvName()));
        }
        all.add(Tags.PENDING);
        try {
            lvm.lvcreate(vg, lv, extents, all);
        } catch (StorageException e) {
            if (e.code() != StorageErrorCode.NO_SPACE) {
                throw e;
            }
            throw new StorageException(StorageErrorCode.NO_SPACE, "volume group " + vg + " has no contiguous run of " + extents
                    + " free extents (" + extents * extentSize + " bytes) for a new volume: its free space is split between volumes"
                    + " (" + lvm.vg(vg).free() + " bytes free in all). lvm2 said: " + e.getMessage(), e);
        }
        Volume v = null;
        try {
            v = tree().volume(lv);
            img.format(window(v), virtualSize, parent == null ? null : window(parent), bitmap);
            if (!keepPending) {
                lvm.retag(vg, lv, List.of(), List.of(Tags.PENDING));
            }
            return tree().volume(lv);
        } catch (RuntimeException e) {
            removeQuietly(lv, e);
            throw e;
        }
    }

    /** Removes a volume made by a failed operation, keeping the operation's own error. */
    void removeQuietly(String lv, RuntimeException cause) {
        try {
            lvm.lvremove(vg, lv);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            LOG.log(System.Logger.Level.ERROR, "volume group " + vg + ": could not remove " + lv + " after a failure: " + e.getMessage());
        }
    }

    void remove(Volume v) {
        lvm.lvremove(vg, v.lvName());
    }

    /** Adds and removes tags of a volume in one metadata update; tags both added and removed stay. */
    void retag(Volume v, List<String> add, List<String> remove) {
        List<String> put = add.stream().distinct().filter(t -> !v.tags().contains(t)).toList();
        List<String> del = remove.stream().distinct().filter(t -> v.tags().contains(t) && !add.contains(t)).toList();
        lvm.retag(vg, v.lvName(), put, del);
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
