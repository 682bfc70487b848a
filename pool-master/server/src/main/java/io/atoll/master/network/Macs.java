package io.atoll.master.network;

import java.security.SecureRandom;

/**
 * MAC addresses the pool master gives VIFs on its networks: QEMU's prefix {@code 52:54:00} and 24
 * random bits, chosen once and stored, so that a guest keeps its address (and its DHCP lease)
 * across starts, hosts and migrations.
 */
public final class Macs {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Macs() {
    }

    public static String random() {
        int v = RANDOM.nextInt(1 << 24);
        return String.format("52:54:00:%02x:%02x:%02x", v >> 16 & 255, v >> 8 & 255, v & 255);
    }
}
