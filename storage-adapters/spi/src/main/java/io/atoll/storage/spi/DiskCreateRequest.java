package io.atoll.storage.spi;

import java.util.Map;

/**
 * A new virtual disk.
 *
 * @param name its name ({@link Names#checkName})
 * @param virtualSize the size the guest sees, in bytes, a multiple of 512
 * @param metadata free-form key/value pairs kept with the disk (needs {@code SUPPORTS_METADATA}
 *     when not empty)
 */
public record DiskCreateRequest(String name, long virtualSize, Map<String, String> metadata) {
    public DiskCreateRequest {
        Names.checkName("disk", name);
        Names.checkSize("disk " + name, virtualSize);
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    public DiskCreateRequest(String name, long virtualSize) {
        this(name, virtualSize, Map.of());
    }
}
