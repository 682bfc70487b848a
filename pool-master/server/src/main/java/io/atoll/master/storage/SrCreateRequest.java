package io.atoll.master.storage;

import java.util.Map;
import java.util.UUID;

/**
 * The body of {@code POST /api/v1/srs}.
 *
 * @param name unique in the pool (letters, digits, spaces and {@code . _ + : @ -})
 * @param type the adapter type, as a host lists it ({@code GET /api/v1/hosts/{uuid}/storage-adapters})
 * @param deviceConfig where and how to reach the storage (the adapter's keys: {@code path},
 *     {@code server}+{@code export}, {@code portal}+{@code target}…)
 * @param host the host it lives on, for a type that is not shared (required when the pool has
 *     several hosts); for a shared type the host that creates it (else the first online host)
 * @param create create a new repository (default); {@code false} introduces one that exists on
 *     the storage already (after a reinstall, or from another pool) and scans its disks
 * @param uuid the repository's uuid: required when introducing one that exists, else chosen by the pool
 */
public record SrCreateRequest(String name, String type, Map<String, String> deviceConfig, UUID host, Boolean create, UUID uuid) {
    public SrCreateRequest {
        StorageNames.check("storage repository", name);
        if (type == null || !type.matches("[a-z][a-z0-9-]{0,63}")) {
            throw new IllegalArgumentException("storage repository " + name + ": type '" + type
                    + "' is invalid: give an adapter type such as local, nfs, lvm or iscsi");
        }
        deviceConfig = deviceConfig == null ? Map.of() : Map.copyOf(deviceConfig);
        if (create == null) {
            create = true;
        }
        if (!create && uuid == null) {
            throw new IllegalArgumentException("storage repository " + name
                    + ": introducing an existing repository (create=false) needs its uuid");
        }
    }

    @Override
    public String toString() {
        return "SrCreateRequest[" + name + " (" + type + ") keys=" + deviceConfig.keySet() + " host=" + host + " create=" + create + "]";
    }
}
