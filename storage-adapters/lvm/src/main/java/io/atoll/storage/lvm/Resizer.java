package io.atoll.storage.lvm;

import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Grows a disk: its volume first, then the image's virtual size inside it. A volume stays one
 * contiguous run of extents (an offset window must describe it), so it grows in place when the
 * extents after it are free, and otherwise moves: a new contiguous volume receives a byte copy of
 * the image (up to its last allocated cluster) and the disk's tags, then the old one is removed.
 * Moving is safe because a disk's current image is a leaf: no other image names its window as a
 * backing file.
 */
final class Resizer {
    private static final System.Logger LOG = System.getLogger(Resizer.class.getName());

    private final VolumeStore store;

    Resizer(VolumeStore store) {
        this.store = store;
    }

    /** The disk's volume after growing (a new one if it moved). The caller has checked it is detached and a disk. */
    Volume grow(Volume disk, long newSize) {
        long need = store.extentsFor(newSize);
        long have = disk.size() / store.extentSize();
        Volume target = disk;
        if (need > have) {
            Lvm.Vg g = store.lvm.vg(store.vg);
            if ((need - have) * store.extentSize() > g.free()) {
                throw new StorageException(StorageErrorCode.NO_SPACE, "disk " + disk.id() + " needs " + (need - have) * store.extentSize()
                        + " more bytes to grow to " + newSize + " (volumes are thick) but volume group " + store.vg + " has "
                        + g.free() + " bytes free");
            }
            try {
                store.lvm.lvextend(store.vg, disk.lvName(), need);
                target = store.tree().volume(disk.lvName());
            } catch (StorageException e) {
                if (e.code() != StorageErrorCode.NO_SPACE) {
                    throw e;
                }
                target = move(disk, need, newSize);
            }
        }
        store.img.resize(store.window(target), newSize);
        store.retag(target, List.of(Tags.tag(Tags.SIZE, Long.toString(newSize))), List.of(target.rawTag(Tags.SIZE)));
        return store.tree().volume(target.lvName());
    }

    private Volume move(Volume disk, long extents, long newSize) {
        store.reserve("growing disk " + disk.id() + " to " + newSize + " bytes (its volume must move: the extents after it are taken)",
                newSize);
        long end = QemuImg.roundUp(store.img.imageEnd(store.window(disk)), 512);
        String lv = "vol-" + UUID.randomUUID();
        List<String> tags = new ArrayList<>(disk.tags());
        tags.remove(disk.rawTag(Tags.BORN));
        tags.add(Tags.tag(Tags.BORN, Long.toString(System.currentTimeMillis() * 1000 + 999)));
        tags.add(Tags.PENDING);
        store.lvm.lvcreate(store.vg, lv, extents, tags);
        try {
            Volume moved = store.tree().volume(lv);
            store.img.copyBytes(store.window(disk).withSize(Math.min(end, disk.size())), store.window(moved));
            store.retag(moved, List.of(), List.of(Tags.PENDING));
        } catch (RuntimeException e) {
            store.removeQuietly(lv, e);
            throw e;
        }
        store.remove(disk);
        LOG.log(System.Logger.Level.INFO, "volume group " + store.vg + ": disk " + disk.id() + " moved from " + disk.lvName() + " to " + lv
                + " to grow contiguously");
        return store.tree().volume(lv);
    }
}
