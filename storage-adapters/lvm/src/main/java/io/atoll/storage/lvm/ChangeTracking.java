package io.atoll.storage.lvm;

import io.atoll.storage.spi.ChangedBlocks;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Changed-block tracking with qcow2 persistent dirty bitmaps. While tracking is on, the disk's
 * current image holds an enabled bitmap ({@value QemuImg#BITMAP}, 64 KiB granularity) that QEMU
 * (or qemu-io) sets on every write. A snapshot freezes that image and gives the disk a new image
 * with an empty bitmap, so each frozen image's bitmap is exactly the set of blocks written
 * between its parent snapshot and itself. The changes between two snapshots are the union of the
 * bitmaps of the images from the later one up to (not including) the earlier one.
 *
 * <p>A volume's tags say whether its image has the bitmap ({@code atoll_bm}) and whether that
 * bitmap saw every write since its parent was frozen ({@code atoll_bmc}); merging an image away
 * merges its bitmap into the child's, or clears the child's completeness when it cannot.
 */
final class ChangeTracking {
    private final VolumeStore store;

    ChangeTracking(VolumeStore store) {
        this.store = store;
    }

    /** Tags for a new image of a tracked disk: a bitmap complete since its parent was frozen. */
    static List<String> newImageTags(boolean tracked) {
        return tracked ? List.of(Tags.BITMAP, Tags.BITMAP_COMPLETE) : List.of();
    }

    void enable(Volume disk) {
        if (disk.cbtEnabled()) {
            return;
        }
        refuseIfOpen(disk, "start tracking");
        if (disk.hasBitmap()) {
            store.img.removeBitmap(store.window(disk)); // left from an earlier period: its history is not this one's
        }
        store.img.addBitmap(store.window(disk));
        // Not complete: writes before now are not in it, so no list can start before the next snapshot.
        store.retag(disk, List.of(Tags.CBT, Tags.BITMAP), List.of(Tags.BITMAP_COMPLETE));
    }

    /** Stops tracking and forgets the history: no list of changes can span any of this disk's past snapshots. */
    void disable(VolumeTree t, Volume disk) {
        if (!disk.cbtEnabled()) {
            return;
        }
        refuseIfOpen(disk, "stop tracking");
        if (disk.hasBitmap()) {
            store.img.removeBitmap(store.window(disk));
        }
        store.retag(disk, List.of(), List.of(Tags.CBT, Tags.BITMAP, Tags.BITMAP_COMPLETE));
        for (Volume v = t.parent(disk); v != null; v = t.parent(v)) {
            if (v.bitmapComplete() && t.kindOf(v) == Volume.Kind.SNAPSHOT && disk.id().equals(v.snapshotOf())) {
                store.retag(v, List.of(), List.of(Tags.BITMAP_COMPLETE));
            }
        }
    }

    /**
     * The blocks written between two snapshots of one disk.
     *
     * @throws StorageException {@code INVALID_ARGUMENT} when they are not two snapshots of one
     *     disk, {@code NOT_FOUND} when an image between them lacks a complete bitmap (tracking was
     *     off for part of the range, or the earlier one is not in the later one's past)
     */
    ChangedBlocks changedBlocks(VolumeTree t, Volume from, Volume to) {
        if (t.kindOf(from) != Volume.Kind.SNAPSHOT || t.kindOf(to) != Volume.Kind.SNAPSHOT || !from.snapshotOf().equals(to.snapshotOf())) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "changed blocks are listed between two snapshots of one disk: "
                    + t.describe(from) + " and " + t.describe(to) + " are not");
        }
        List<ChangedBlocks.Extent> all = new ArrayList<>();
        Volume v = to;
        while (v == null || !v.lvName().equals(from.lvName())) {
            if (v == null) {
                throw new StorageException(StorageErrorCode.NOT_FOUND, t.describe(from) + " is not in the past of " + t.describe(to)
                        + " (reverted in between?): no list of changes joins them, copy in full");
            }
            if (!v.hasBitmap() || !v.bitmapComplete()) {
                throw new StorageException(StorageErrorCode.NOT_FOUND, "no changed-block data from " + t.describe(from) + " to "
                        + t.describe(to) + ": tracking was off for part of that time; copy in full");
            }
            all.addAll(store.img.dirtyExtents(store.window(v), to.virtualSize()));
            v = t.parent(v);
        }
        return new ChangedBlocks(QemuImg.CLUSTER, to.virtualSize(), merge(all));
    }

    /** Sorts ranges and joins those that overlap or touch. */
    static List<ChangedBlocks.Extent> merge(List<ChangedBlocks.Extent> extents) {
        List<ChangedBlocks.Extent> sorted = new ArrayList<>(extents);
        sorted.sort(Comparator.comparingLong(ChangedBlocks.Extent::offset));
        List<ChangedBlocks.Extent> out = new ArrayList<>();
        long start = -1;
        long end = -1;
        for (ChangedBlocks.Extent e : sorted) {
            if (start >= 0 && e.offset() <= end) {
                end = Math.max(end, e.offset() + e.length());
                continue;
            }
            if (start >= 0) {
                out.add(new ChangedBlocks.Extent(start, end - start));
            }
            start = e.offset();
            end = e.offset() + e.length();
        }
        if (start >= 0) {
            out.add(new ChangedBlocks.Extent(start, end - start));
        }
        return out;
    }

    private static void refuseIfOpen(Volume disk, String what) {
        if (disk.inUse()) {
            throw new StorageException(StorageErrorCode.IN_USE, "cannot " + what + " on disk " + disk.id()
                    + " while it is attached (the image's bitmaps change only offline): detach it first");
        }
    }
}
