package io.atoll.node.api;

/**
 * An address a guest was given, as a DHCP lease records it.
 *
 * @param mac the guest NIC's MAC address
 * @param ip the IPv4 address
 * @param expiresEpochSecond when the lease runs out (seconds since the epoch), 0 for never
 */
public record GuestAddress(String mac, String ip, long expiresEpochSecond) {
}
