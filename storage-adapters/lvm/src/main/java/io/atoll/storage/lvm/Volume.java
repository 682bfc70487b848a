package io.atoll.storage.lvm;

import io.atoll.storage.spi.VirtualDiskInfo;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One logical volume of the repository with what its tags say. A volume holds one qcow2 image
 * (a node of a backing tree); the disk or snapshot it stands for is a tag, so that a disk keeps
 * its id while its image changes (a snapshot freezes the disk's image and gives the disk a new
 * overlay). Volume names ({@code n-UUID}) never change.
 *
 * @param lvName the logical volume's name
 * @param size its size in bytes
 * @param firstExtent the first physical extent of its (single) segment
 * @param segments how many segments it has: 1 for every volume this adapter made
 * @param tags its LVM tags
 */
record Volume(String lvName, long size, long firstExtent, int segments, List<String> tags) {

    /** What a volume stands for. */
    enum Kind {
        /** A writable disk's current image. */
        DISK,
        /** A snapshot: a frozen image. */
        SNAPSHOT,
        /** A frozen image no one names, kept because clones depend on it. */
        BASE
    }

    Volume {
        tags = List.copyOf(tags);
    }

    /** The value of a single-valued tag, or {@code null}. */
    String tag(String key) {
        String prefix = key + ".";
        for (String t : tags) {
            if (t.startsWith(prefix)) {
                return Tags.decode(t.substring(prefix.length()));
            }
        }
        return null;
    }

    /** The exact tag (as stored) with this key, or {@code null}. */
    String rawTag(String key) {
        for (String t : tags) {
            if (t.equals(key) || t.startsWith(key + ".")) {
                return t;
            }
        }
        return null;
    }

    boolean has(String flag) {
        return tags.contains(flag);
    }

    /** Whether the volume belongs to this adapter at all (foreign volumes in the VG are left alone). */
    boolean isOurs() {
        return tag(Tags.KIND) != null;
    }

    /** Being created: its image may not be complete yet. */
    boolean pending() {
        return has(Tags.PENDING);
    }

    Kind kind() {
        String k = tag(Tags.KIND);
        return k == null ? null : Kind.valueOf(k.toUpperCase(java.util.Locale.ROOT));
    }

    String id() {
        return tag(Tags.ID);
    }

    String name() {
        return tag(Tags.NAME);
    }

    String parent() {
        return tag(Tags.PARENT);
    }

    String snapshotOf() {
        return tag(Tags.SNAPSHOT_OF);
    }

    long virtualSize() {
        String s = tag(Tags.SIZE);
        return s == null ? 0 : Long.parseLong(s);
    }

    long born() {
        String s = tag(Tags.BORN);
        return s == null ? 0 : Long.parseLong(s);
    }

    Instant created() {
        String s = tag(Tags.CREATED);
        return s == null ? Instant.EPOCH : Instant.ofEpochMilli(Long.parseLong(s));
    }

    /** The user metadata, by key. */
    Map<String, String> metadata() {
        Map<String, String> m = new TreeMap<>();
        String prefix = Tags.META + ".";
        for (String t : tags) {
            if (t.startsWith(prefix)) {
                String[] kv = t.substring(prefix.length()).split("\\.", -1);
                if (kv.length == 2) {
                    m.put(Tags.decode(kv[0]), Tags.decode(kv[1]));
                }
            }
        }
        return m;
    }

    /** The tags that carry user metadata, as stored. */
    List<String> metadataTags() {
        return tags.stream().filter(t -> t.startsWith(Tags.META + ".")).toList();
    }

    /** The host holding the volume read-write, or {@code null}. */
    String writer() {
        return tag(Tags.RW);
    }

    /** The hosts holding the volume read-only. */
    Set<String> readers() {
        Set<String> hosts = new LinkedHashSet<>();
        for (String t : tags) {
            if (t.startsWith(Tags.RO + ".")) {
                hosts.add(Tags.decode(t.substring(Tags.RO.length() + 1)));
            }
        }
        return hosts;
    }

    /** Whether any host holds it open. */
    boolean inUse() {
        return writer() != null || !readers().isEmpty();
    }

    boolean cbtEnabled() {
        return has(Tags.CBT);
    }

    /** The image holds the tracking bitmap. */
    boolean hasBitmap() {
        return has(Tags.BITMAP);
    }

    /** The bitmap holds every write since the parent image was frozen. */
    boolean bitmapComplete() {
        return has(Tags.BITMAP_COMPLETE);
    }

    /** The tags that say which disk or snapshot this is (moved when a disk changes volume). */
    List<String> identityTags() {
        return tags.stream().filter(t -> t.startsWith(Tags.ID + ".") || t.startsWith(Tags.KIND + ".")
                || t.startsWith(Tags.NAME + ".") || t.startsWith(Tags.SNAPSHOT_OF + ".") || t.startsWith(Tags.CREATED + ".")
                || t.startsWith(Tags.META + ".") || t.equals(Tags.CBT) || t.startsWith(Tags.RW + ".")
                || t.startsWith(Tags.RO + ".")).toList();
    }

    /** The disk or snapshot as the SDK shows it. */
    VirtualDiskInfo info() {
        boolean snapshot = kind() == Kind.SNAPSHOT;
        return new VirtualDiskInfo(id(), name(), virtualSize(), size, snapshot ? snapshotOf() : null, snapshot, cbtEnabled(),
                created(), new LinkedHashMap<>(metadata()));
    }
}
