package io.atoll.node.api;

import java.util.Map;

/**
 * Asks a host to attach a storage repository (XAPI's PBD plug), creating it first when
 * {@code create} is set (done once for the pool, on one host). Idempotent: attaching an attached
 * repository answers its state again.
 *
 * @param name the repository's name
 * @param type the adapter type ({@code local}, {@code nfs}, {@code lvm}, {@code iscsi}, a partner's)
 * @param deviceConfig where and how to reach the storage (may hold secrets: never logged, never echoed)
 * @param create create the repository before attaching it
 */
public record SrAttachRequest(String name, String type, Map<String, String> deviceConfig, boolean create) {
    public SrAttachRequest {
        deviceConfig = deviceConfig == null ? Map.of() : Map.copyOf(deviceConfig);
    }

    @Override
    public String toString() {
        return "SrAttachRequest[" + name + " (" + type + ") keys=" + deviceConfig.keySet() + " create=" + create + "]";
    }
}
