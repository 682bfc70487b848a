package io.atoll.storage.spi;

/**
 * A storage repository's identity and space.
 *
 * @param uuid the repository's uuid
 * @param name its name
 * @param type the adapter type
 * @param shared whether all hosts of a pool can attach it at once
 * @param physicalSize bytes the storage holds in all
 * @param physicalUtilisation bytes in use
 * @param virtualAllocation sum of the virtual sizes of its disks (may exceed the physical size
 *     when thin)
 */
public record SrInfo(String uuid, String name, String type, boolean shared, long physicalSize,
                     long physicalUtilisation, long virtualAllocation) {

    /** Bytes still free. */
    public long free() {
        return Math.max(0, physicalSize - physicalUtilisation);
    }
}
