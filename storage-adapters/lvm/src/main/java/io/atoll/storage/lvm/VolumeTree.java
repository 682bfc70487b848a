package io.atoll.storage.lvm;

import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The repository's volumes read at one moment, as a forest of backing chains (a volume's
 * {@code parent} tag names the volume its image's backing file points into).
 *
 * <p>A disk changes volume in two metadata updates (the new volume takes the disk's id, then the
 * old one gives it up). Should a host die in between, two volumes claim one id: the newer one is
 * the disk, the older one is read as a nameless base of the chain, which keeps every chain whole.
 */
final class VolumeTree {
    private final Map<String, Volume> byLv = new LinkedHashMap<>();
    private final Map<String, Volume> byId = new LinkedHashMap<>();

    VolumeTree(List<Volume> volumes) {
        for (Volume v : volumes) {
            if (!v.isOurs()) {
                continue; // someone else's volume in the group: not ours to show or touch
            }
            byLv.put(v.lvName(), v);
            if (v.pending() || v.id() == null || v.kind() == Volume.Kind.BASE) {
                continue;
            }
            Volume other = byId.get(v.id());
            if (other == null || other.born() < v.born()) {
                byId.put(v.id(), v);
            }
        }
    }

    /** The disks and snapshots, oldest first. */
    List<Volume> visible() {
        List<Volume> out = new ArrayList<>(byId.values());
        out.sort(Comparator.comparing(Volume::created).thenComparing(Volume::id));
        return out;
    }

    Optional<Volume> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /**
     * A disk or snapshot by id.
     *
     * @throws StorageException {@code NOT_FOUND}
     */
    Volume get(String id) {
        Volume v = byId.get(id);
        if (v == null) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, "no disk or snapshot " + id + " in this repository");
        }
        return v;
    }

    /** A volume by logical volume name, or {@code null}. */
    Volume volume(String lvName) {
        return lvName == null ? null : byLv.get(lvName);
    }

    /** The volume an image's backing file points into, or {@code null} for a base image. */
    Volume parent(Volume v) {
        return volume(v.parent());
    }

    /** The volumes whose images have this one as backing file. */
    List<Volume> children(Volume v) {
        return byLv.values().stream().filter(c -> v.lvName().equals(c.parent())).toList();
    }

    /** Whether the id shown for this volume is really its own (not a loser of a claim). */
    boolean isVisible(Volume v) {
        Volume shown = v.id() == null ? null : byId.get(v.id());
        return shown != null && shown.lvName().equals(v.lvName());
    }

    /** The kind a volume is treated as: an overruled claim is a base. */
    Volume.Kind kindOf(Volume v) {
        return isVisible(v) ? v.kind() : Volume.Kind.BASE;
    }

    /**
     * A host holding this volume or one whose image reads through it, described for an error
     * message, or empty when nothing in the subtree is open anywhere.
     */
    Optional<String> holderInSubtree(Volume v) {
        if (v.writer() != null) {
            return Optional.of(describe(v) + " is attached read-write on host " + v.writer());
        }
        if (!v.readers().isEmpty()) {
            return Optional.of(describe(v) + " is attached read-only on host " + String.join(", ", v.readers()));
        }
        for (Volume c : children(v)) {
            Optional<String> h = holderInSubtree(c);
            if (h.isPresent()) {
                return h;
            }
        }
        return Optional.empty();
    }

    /** An administrator's name for the volume. */
    String describe(Volume v) {
        if (isVisible(v)) {
            return (v.kind() == Volume.Kind.SNAPSHOT ? "snapshot " : "disk ") + v.id() + " ('" + v.name() + "')";
        }
        return "base volume " + v.lvName();
    }

    /** Every volume of ours, pending ones included. */
    List<Volume> all() {
        return List.copyOf(byLv.values());
    }
}
