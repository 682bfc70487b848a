package io.atoll.storage.spi;

import java.util.List;
import java.util.Map;

/**
 * A disk open in a running VM on this host, as the host runtime lets an adapter work on it
 * through QEMU's block layer (QMP). Handed to {@link StorageRepository#snapshot} and
 * {@link StorageRepository#deleteDisk} when a VM runs; each call returns when QEMU has finished.
 * Node names are the runtime's; adapters refer to images by the protocol options they gave.
 */
public interface LiveBlockDevice {

    /**
     * The images QEMU has open for this disk, from the active image down to the base. Each entry
     * has at least {@code "filename"}: QEMU's name of the image file (a path, or a URL such as
     * {@code nfs://server/export/x.qcow2}, as the adapter's store locates it).
     */
    List<Map<String, Object>> chain();

    /**
     * Makes a new, already created overlay the active image: the current active image becomes its
     * backing file and is no longer written ({@code blockdev-snapshot}).
     *
     * @param overlay protocol options of the new overlay image (a qcow2 whose backing is the
     *     current active image)
     */
    void snapshot(Map<String, Object> overlay);

    /**
     * Merges the image at {@code top} (an index in {@link #chain()}) into the one below it and
     * drops it from the chain ({@code block-commit}; for the active image, committing and pivoting).
     */
    void commit(int top);

    /**
     * Pulls the data of the image below {@code index} into it and drops that image from the chain
     * ({@code block-stream}).
     */
    void stream(int index);
}
