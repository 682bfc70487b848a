package io.atoll.storage.lvm;

import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Takes images out of backing chains without changing what anyone reads. A frozen image with
 * dependents is dissolved: each child copies in the data it read through it ({@code qemu-img
 * rebase} in safe mode onto the grandparent — never a commit into the parent, which may be a
 * snapshot that must not change), then points past it; only then is its volume removed. A child
 * open in a running VM on this host is merged through the VM ({@link LiveBlockDevice#stream}).
 *
 * <p>Nameless bases left by linked clones of disks are collected as their dependents go: removed
 * with none, merged into a lone child that no host holds open.
 */
final class Coalescer {
    private static final System.Logger LOG = System.getLogger(Coalescer.class.getName());

    private final VolumeStore store;
    private final VolumeAccess access;

    Coalescer(VolumeStore store, VolumeAccess access) {
        this.store = store;
        this.access = access;
    }

    /**
     * Removes a disk's or snapshot's volume, merging it into its children first, then collects the
     * bases above it. The caller has checked that the volume itself is not attached.
     *
     * @throws StorageException {@code IN_USE} when a child must be merged offline and a host holds
     *     it (or an image reading through it) open; nothing is changed then
     */
    void delete(Volume v, LiveBlockDevice live) {
        VolumeTree t = store.tree();
        String parent = v.parent();
        if (t.children(v).isEmpty()) {
            store.remove(v);
        } else {
            dissolve(t, v, live);
        }
        collect(parent);
    }

    /** Merges a frozen volume into each child (the validation of all comes before the first change), then removes it. */
    void dissolve(VolumeTree t, Volume n, LiveBlockDevice live) {
        List<Volume> children = t.children(n);
        Volume grandparent = t.parent(n);
        List<Map<String, Object>> chain = live == null ? List.of() : live.chain();
        int at = indexOf(chain, n);
        List<Boolean> online = new ArrayList<>();
        for (Volume c : children) {
            boolean viaVm = at > 0 && access.matches(chain.get(at - 1), store.vg, c, store.window(c));
            online.add(viaVm);
            Optional<String> holder = viaVm ? Optional.empty() : t.holderInSubtree(c);
            if (holder.isPresent()) {
                throw new StorageException(StorageErrorCode.IN_USE, t.describe(n) + " cannot be merged away: " + holder.get()
                        + " and reads through it; delete it while that is detached, or from the host running it");
            }
        }
        for (int i = 0; i < children.size(); i++) {
            Volume c = children.get(i);
            List<String> add = new ArrayList<>();
            List<String> remove = new ArrayList<>(List.of(c.rawTag(Tags.PARENT)));
            if (grandparent != null) {
                add.add(Tags.tag(Tags.PARENT, grandparent.lvName()));
            }
            if (online.get(i)) {
                live.stream(at - 1);
                remove.add(Tags.BITMAP_COMPLETE); // the VM's copy is not reflected in the bitmap we could merge
            } else {
                store.img.rebase(store.window(c), grandparent == null ? null : store.window(grandparent));
                if (c.hasBitmap() && !mergeBitmap(n, c)) {
                    remove.add(Tags.BITMAP_COMPLETE);
                }
            }
            store.retag(c, add, remove);
            LOG.log(System.Logger.Level.INFO, "volume group " + store.vg + ": merged " + t.describe(n) + " into " + t.describe(c)
                    + (online.get(i) ? " through its running VM" : ""));
        }
        store.remove(n);
    }

    /** Carries the changes tracked in {@code from} into {@code into}; false when the history is broken. */
    private boolean mergeBitmap(Volume from, Volume into) {
        if (!from.hasBitmap() || !from.bitmapComplete() || !into.bitmapComplete() || from.virtualSize() > into.virtualSize()) {
            return false;
        }
        store.img.mergeBitmap(store.window(from), from.virtualSize(), store.window(into), into.virtualSize());
        return true;
    }

    /**
     * Collects nameless bases from {@code lvName} upward. Never fails the operation that freed them:
     * a base that cannot go now stays, harmless, until a later delete.
     */
    void collect(String lvName) {
        try {
            while (lvName != null) {
                VolumeTree t = store.tree();
                Volume b = t.volume(lvName);
                if (b == null || b.pending() || t.kindOf(b) != Volume.Kind.BASE) {
                    return;
                }
                List<Volume> children = t.children(b);
                if (children.isEmpty()) {
                    store.remove(b);
                    lvName = b.parent();
                } else {
                    if (children.size() == 1 && t.holderInSubtree(children.get(0)).isEmpty()) {
                        dissolve(t, b, null);
                    }
                    return;
                }
            }
        } catch (StorageException e) {
            LOG.log(System.Logger.Level.WARNING, "volume group " + store.vg + ": base volume " + lvName
                    + " kept for now: " + e.getMessage());
        }
    }

    private int indexOf(List<Map<String, Object>> chain, Volume v) {
        for (int i = 0; i < chain.size(); i++) {
            if (access.matches(chain.get(i), store.vg, v, store.window(v))) {
                return i;
            }
        }
        return -1;
    }
}
