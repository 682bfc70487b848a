package io.atoll.node.api;

/**
 * A storage repository attached on a host, as the host sees it now.
 *
 * @param uuid the repository's uuid (the pool's)
 * @param name its name
 * @param type the adapter type
 * @param shared whether every host of a pool can attach it at once
 * @param physicalSize bytes the storage holds in all
 * @param physicalUtilisation bytes in use
 * @param virtualAllocation sum of its disks' virtual sizes
 */
public record SrState(String uuid, String name, String type, boolean shared, long physicalSize,
                      long physicalUtilisation, long virtualAllocation) {
}
