package io.atoll.storage.lvm;

import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Snapshots, clones and revert as moves in the backing tree. A disk's current image is never
 * copied to take a snapshot: it is frozen where it is and becomes the snapshot (or a nameless base
 * for a linked clone of the disk), and the disk moves to a new overlay image reading through it.
 * Every new image is written before any tag changes hands, so a failure leaves the tree as it was.
 */
final class Snapshots {
    private final VolumeStore store;
    private final VolumeAccess access;
    private final Coalescer coalescer;
    private final String host;

    Snapshots(VolumeStore store, VolumeAccess access, Coalescer coalescer, String host) {
        this.store = store;
        this.access = access;
        this.coalescer = coalescer;
        this.host = host;
    }

    /** Tags of a new disk or snapshot. */
    static List<String> identity(String id, Volume.Kind kind, String name, String snapshotOf, Map<String, String> metadata) {
        List<String> tags = new ArrayList<>(List.of(Tags.tag(Tags.ID, id), Tags.tag(Tags.KIND, kind.name().toLowerCase(Locale.ROOT)),
                Tags.tag(Tags.NAME, name), Tags.tag(Tags.CREATED, Long.toString(System.currentTimeMillis()))));
        if (snapshotOf != null) {
            tags.add(Tags.tag(Tags.SNAPSHOT_OF, snapshotOf));
        }
        metadata.forEach((k, v) -> tags.add(Tags.meta(k, v)));
        return tags;
    }

    /**
     * Freezes the disk's image as a snapshot and moves the disk to a new overlay. With a running
     * VM the overlay is handed to it ({@code blockdev-snapshot}) before any tag changes.
     */
    Volume snapshot(VolumeTree t, Volume disk, String name, LiveBlockDevice live) {
        requireDisk(t, disk, "snapshots are taken of disks");
        String writer = disk.writer();
        if (writer != null && !writer.equals(host)) {
            throw new StorageException(StorageErrorCode.IN_USE, "disk " + disk.id() + " is attached read-write on host " + writer
                    + ": take the snapshot on that host, through its running VM");
        }
        if (writer != null && live == null) {
            throw new StorageException(StorageErrorCode.IN_USE, "disk " + disk.id()
                    + " is attached read-write on this host: snapshot it through its running VM, or detach it first");
        }
        List<String> snapTags = identity(UUID.randomUUID().toString(), Volume.Kind.SNAPSHOT, name, disk.id(), disk.metadata());
        long extents = store.reserve("snapshot '" + name + "' of disk " + disk.id(), disk.virtualSize())[0];
        Volume next = store.create(extents, disk.virtualSize(), List.of(Tags.tag(Tags.KIND, "base")), disk, disk.cbtEnabled(), true);
        if (live != null) {
            try {
                live.snapshot(access.open(store.lvm, store.vg, next, store.window(next)));
            } catch (RuntimeException e) {
                store.removeQuietly(next.lvName(), e);
                throw e;
            }
        }
        moveDisk(disk, next, true);
        List<String> drop = new ArrayList<>(disk.identityTags());
        drop.removeAll(disk.metadataTags()); // a snapshot keeps the disk's metadata as it was
        store.retag(disk, snapTags, drop);
        return store.tree().volume(disk.lvName());
    }

    /**
     * A new disk reading through a snapshot. A linked clone of a disk first freezes the disk's
     * image as a nameless base, which both the disk and the clone then read through.
     */
    Volume linkedClone(VolumeTree t, Volume source, String name) {
        List<String> tags = identity(UUID.randomUUID().toString(), Volume.Kind.DISK, name, null, Map.of());
        if (t.kindOf(source) == Volume.Kind.SNAPSHOT) {
            long extents = store.reserve("linked clone '" + name + "'", source.virtualSize())[0];
            return store.create(extents, source.virtualSize(), tags, source, false, false);
        }
        if (source.writer() != null) {
            throw new StorageException(StorageErrorCode.IN_USE, "disk " + source.id() + " is attached read-write on host "
                    + source.writer() + ": clone a snapshot of it instead");
        }
        long[] extents = store.reserve("linked clone '" + name + "' of disk " + source.id() + " (the clone and the disk's new image)",
                source.virtualSize(), source.virtualSize());
        Volume next = store.create(extents[0], source.virtualSize(), List.of(Tags.tag(Tags.KIND, "base")), source,
                source.cbtEnabled(), true);
        Volume clone;
        try {
            clone = store.create(extents[1], source.virtualSize(), tags, source, false, true);
        } catch (RuntimeException e) {
            store.removeQuietly(next.lvName(), e);
            throw e;
        }
        moveDisk(source, next, true);
        store.retag(source, List.of(Tags.tag(Tags.KIND, "base")), source.identityTags());
        store.retag(clone, List.of(), List.of(Tags.PENDING));
        return store.tree().volume(clone.lvName());
    }

    /** A new disk with a copy of all the data, reading through nothing. */
    Volume fullClone(VolumeTree t, Volume source, String name) {
        if (source.writer() != null) {
            throw new StorageException(StorageErrorCode.IN_USE, t.describe(source) + " is attached read-write on host "
                    + source.writer() + ": clone a snapshot of it instead");
        }
        long extents = store.reserve("full clone '" + name + "'", source.virtualSize())[0];
        Volume clone = store.create(extents, source.virtualSize(),
                identity(UUID.randomUUID().toString(), Volume.Kind.DISK, name, null, Map.of()), null, false, true);
        try {
            store.img.copyData(store.window(source), store.window(clone));
            store.retag(clone, List.of(), List.of(Tags.PENDING));
        } catch (RuntimeException e) {
            store.removeQuietly(clone.lvName(), e);
            throw e;
        }
        return store.tree().volume(clone.lvName());
    }

    /** Moves the disk to a new overlay on the snapshot and drops its current image. */
    Volume revert(VolumeTree t, Volume disk, Volume snapshot) {
        requireDisk(t, disk, "only disks are reverted");
        if (t.kindOf(snapshot) != Volume.Kind.SNAPSHOT || !disk.id().equals(snapshot.snapshotOf())) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, t.describe(snapshot) + " is not a snapshot of disk " + disk.id());
        }
        t.holderInSubtree(disk).ifPresent(h -> {
            throw new StorageException(StorageErrorCode.IN_USE, h + ": detach it before reverting");
        });
        long extents = store.reserve("revert of disk " + disk.id(), snapshot.virtualSize())[0];
        Volume next = store.create(extents, snapshot.virtualSize(), List.of(Tags.tag(Tags.KIND, "base")), snapshot,
                disk.cbtEnabled(), true);
        moveDisk(disk, next, true);
        if (t.children(disk).isEmpty()) {
            store.remove(disk);
            coalescer.collect(disk.parent());
        } else {
            store.retag(disk, List.of(Tags.tag(Tags.KIND, "base")), disk.identityTags());
        }
        return store.tree().volume(next.lvName());
    }

    /** Gives the new (pending) volume the disk's identity; the old volume still claims it until retagged. */
    private void moveDisk(Volume from, Volume to, boolean freshImage) {
        List<String> add = new ArrayList<>(from.identityTags());
        add.addAll(ChangeTracking.newImageTags(from.cbtEnabled() && freshImage));
        store.retag(to, add, List.of(Tags.PENDING, Tags.tag(Tags.KIND, "base")));
    }

    private static void requireDisk(VolumeTree t, Volume v, String why) {
        if (t.kindOf(v) != Volume.Kind.DISK) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, t.describe(v) + " is not a disk: " + why);
        }
    }
}
