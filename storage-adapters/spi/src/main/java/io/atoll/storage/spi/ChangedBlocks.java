package io.atoll.storage.spi;

import java.util.List;

/**
 * The blocks that differ between two snapshots of a disk, at the adapter's block size.
 *
 * @param blockSize the granularity in bytes (e.g. 65536); every extent is aligned to it, except
 *     possibly at the end of the disk
 * @param virtualSize the disk's size at the later snapshot
 * @param extents the changed ranges, sorted, not overlapping, adjacent ranges merged
 */
public record ChangedBlocks(long blockSize, long virtualSize, List<Extent> extents) {
    public ChangedBlocks {
        extents = List.copyOf(extents);
    }

    /** A byte range of a disk. */
    public record Extent(long offset, long length) {
        public Extent {
            if (offset < 0 || length <= 0) {
                throw new IllegalArgumentException("extent " + offset + "+" + length + " is invalid");
            }
        }
    }

    /** Total bytes changed. */
    public long changedBytes() {
        return extents.stream().mapToLong(Extent::length).sum();
    }
}
