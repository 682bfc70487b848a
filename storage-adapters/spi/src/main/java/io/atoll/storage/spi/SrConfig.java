package io.atoll.storage.spi;

import java.util.Map;
import java.util.Objects;

/**
 * A storage repository as the pool knows it: what the adapter needs to find it again.
 *
 * @param uuid the repository's identity, chosen by the pool
 * @param name its name for administrators ({@link Names#checkName})
 * @param type the adapter type ({@link StorageAdapterFactory#name()})
 * @param deviceConfig where and how to reach the storage, XAPI's device-config: {@code path} for
 *     local, {@code server}+{@code export} for NFS, {@code portal}+{@code target} for iSCSI, …
 *     Values marked secret by the adapter ({@code chap-password}) are never logged.
 */
public record SrConfig(String uuid, String name, String type, Map<String, String> deviceConfig) {
    public SrConfig {
        Objects.requireNonNull(uuid, "uuid");
        Names.checkName("storage repository", name);
        Objects.requireNonNull(type, "type");
        deviceConfig = deviceConfig == null ? Map.of() : Map.copyOf(deviceConfig);
    }

    /** A required device-config value. */
    public String require(String key) {
        String v = deviceConfig.get(key);
        if (v == null || v.isBlank()) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "storage repository " + name
                    + ": device-config '" + key + "' is required by the " + type + " adapter");
        }
        return v;
    }

    /** An optional device-config value. */
    public String get(String key, String fallback) {
        return deviceConfig.getOrDefault(key, fallback);
    }

    @Override
    public String toString() {
        return "SrConfig[" + uuid + " " + name + " (" + type + ")]";
    }
}
