package io.atoll.node.api;

import java.util.regex.Pattern;

/**
 * A network interface of a VM.
 *
 * @param id device id, unique in the VM ({@code nic0})
 * @param mac the MAC address ({@code 52:54:00:xx:xx:xx}); {@code null} lets the agent derive one
 *     from the VM's uuid so that it stays the same across restarts
 * @param mode {@code USER} (QEMU's user-mode NAT, no host set-up), {@code TAP} (an existing tap
 *     device named {@code ifname}, usually enslaved to a bridge) or {@code NETWORK} (a VIF on the
 *     network {@code network} realised on the host: the agent makes the tap, enslaves it to the
 *     network's bridge, filters its MAC and limits its rate, and removes it when QEMU ends)
 * @param ifname the tap device for {@code TAP}
 * @param model the emulated NIC, {@code virtio-net-pci} by default
 * @param network the network's uuid for {@code NETWORK} ({@code PUT /api/v1/networks/{uuid}} on each host)
 * @param rateKbit for {@code NETWORK}: the VIF's rate limit in kbit/s, each direction; {@code null} for none
 */
public record NicSpec(String id, String mac, NicMode mode, String ifname, String model, java.util.UUID network,
                      Integer rateKbit) {

    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{0,24}");
    private static final Pattern MAC = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

    /** How the NIC reaches a network. */
    public enum NicMode { USER, TAP, NETWORK }

    /** A {@code USER} or {@code TAP} NIC. */
    public NicSpec(String id, String mac, NicMode mode, String ifname, String model) {
        this(id, mac, mode, ifname, model, null, null);
    }

    public NicSpec {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("nic id '" + id
                    + "' is invalid: use 1-25 lower-case letters, digits or '-', starting with a letter (e.g. nic0)");
        }
        if (mac != null) {
            mac = mac.toLowerCase(java.util.Locale.ROOT);
            if (!MAC.matcher(mac).matches()) {
                throw new IllegalArgumentException("nic " + id + ": MAC address '" + mac + "' is invalid: use the form 52:54:00:12:34:56");
            }
            if ((Integer.parseInt(mac.substring(0, 2), 16) & 1) == 1) {
                throw new IllegalArgumentException("nic " + id + ": MAC address " + mac + " is a multicast address: the first octet must be even");
            }
        }
        if (mode == null) {
            mode = NicMode.USER;
        }
        if (mode == NicMode.TAP && (ifname == null || !IFNAME.matcher(ifname).matches())) {
            throw new IllegalArgumentException("nic " + id + ": a TAP nic needs 'ifname', the name of an existing tap device (1-15 characters)");
        }
        if (mode == NicMode.NETWORK && network == null) {
            throw new IllegalArgumentException("nic " + id + ": a NETWORK nic needs 'network', the uuid of a network realised on the host");
        }
        if (mode != NicMode.NETWORK && (network != null || rateKbit != null)) {
            throw new IllegalArgumentException("nic " + id + ": 'network' and 'rateKbit' are for NETWORK nics only");
        }
        if (rateKbit != null && (rateKbit < 64 || rateKbit > 100_000_000)) {
            throw new IllegalArgumentException("nic " + id + ": rateKbit " + rateKbit + " is out of range (64 kbit/s to 100 Gbit/s)");
        }
        if (model == null || model.isBlank()) {
            model = "virtio-net-pci";
        }
    }

    /** This NIC with a MAC address. */
    public NicSpec withMac(String newMac) {
        return new NicSpec(id, newMac, mode, ifname, model, network, rateKbit);
    }
}
