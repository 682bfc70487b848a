package io.atoll.master.storage;

import java.util.UUID;

/**
 * The body of {@code POST /api/v1/vdis}: a new empty disk.
 *
 * @param sr the repository
 * @param name its name (letters, digits, spaces and {@code . _ + : @ -})
 * @param sizeBytes its size, a positive multiple of 512
 */
public record VdiCreateRequest(UUID sr, String name, Long sizeBytes) {
    public VdiCreateRequest {
        if (sr == null) {
            throw new IllegalArgumentException("disk " + name + ": 'sr' (the storage repository's uuid) is required");
        }
        StorageNames.check("disk", name);
        checkSize("disk " + name, sizeBytes);
    }

    /** Refuses a size adapters refuse. */
    public static long checkSize(String what, Long sizeBytes) {
        if (sizeBytes == null || sizeBytes <= 0 || sizeBytes % 512 != 0) {
            throw new IllegalArgumentException(what + ": sizeBytes is " + sizeBytes + ": give a positive multiple of 512 bytes");
        }
        return sizeBytes;
    }
}
