package io.atoll.master.network;

/**
 * The body of {@code POST /api/v1/networks}.
 *
 * @param name unique in the pool, 1-64 printable characters
 * @param bridge the bridge's name on the hosts (1-15 characters); {@code xapiN} style generated when omitted
 * @param mtu 68-65535, 1500 by default
 */
public record NetworkCreateRequest(String name, String bridge, Integer mtu) {
    public NetworkCreateRequest {
        if (name == null || name.isBlank() || name.length() > 64 || !name.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw new IllegalArgumentException("network name '" + name + "' is invalid: give 1-64 printable characters");
        }
        if (mtu == null) {
            mtu = 1500;
        }
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("network " + name + ": MTU " + mtu + " is out of range (68-65535)");
        }
        if (bridge != null && !bridge.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new IllegalArgumentException("network " + name + ": bridge '" + bridge + "' is not a Linux interface name (1-15 characters)");
        }
    }
}
