package io.atoll.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.node.api.GuestAddress;
import io.atoll.node.api.NetworkSpec;
import io.atoll.node.api.NetworkSpec.NetworkType;
import io.atoll.node.api.NetworkState;
import io.atoll.node.api.NodeErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The networks realised on this host, as kernel objects made with {@code ip}, {@code bridge},
 * {@code tc}, {@code nft} and {@code dnsmasq}: a Linux bridge per network; behind it a VXLAN device
 * whose flooding entries ({@code bridge fdb append 00:00:00:00:00:00 dev vxN dst PEER}) name the other
 * hosts, so no multicast is needed ({@code PRIVATE}), or a physical interface ({@code EXTERNAL}), or
 * a VLAN device on one ({@code VLAN}, refused where the kernel has no 802.1q); a tap per VIF;
 * a dnsmasq per network serving this host's slice of the subnet.
 *
 * <p>{@link #realise} is idempotent and converges: calling it again with the same spec changes
 * nothing, with another spec adjusts what differs (peers, MTU, DHCP). Each network's spec is kept
 * in {@code STATE-DIR/UUID/network.json}, so an agent restart finds what it made; the kernel
 * objects and dnsmasq outlive the agent like the VMs do. Methods are synchronized: calls are
 * rare and quick.
 */
public final class HostNetworks {
    private static final Logger LOG = Logger.getLogger(HostNetworks.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
    public static final int VXLAN_OVERHEAD = 50;

    private final HostCommands cmd;
    private final Path stateDir;
    private final VifFilter filter;

    /**
     * @param cmd where the commands run (this host, or a network namespace in tests)
     * @param stateDir one directory per network: its spec, dnsmasq's pid, lease and log files
     */
    public HostNetworks(HostCommands cmd, Path stateDir) {
        this.cmd = cmd;
        this.stateDir = stateDir;
        this.filter = new VifFilter(cmd);
    }

    /**
     * The tap of a VM's VIF: {@code t} + the VM uuid's first 8 hex digits + {@code -} + 5 hex digits
     * of the NIC id's SHA-256 (15 bytes): the same on every host and across restarts, so that a
     * migration's target makes the taps its source had.
     */
    public static String tapName(UUID vm, String nicId) {
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(nicId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return tapPrefix(vm) + String.format("%02x%02x%02x", h[0] & 0xff, h[1] & 0xff, h[2] & 0xff).substring(0, 5);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What every tap of the VM's VIFs starts with. */
    public static String tapPrefix(UUID vm) {
        return "t" + vm.toString().substring(0, 8) + "-";
    }

    /** Realises (or converges) a network on this host and answers its state. */
    public synchronized NetworkState realise(UUID uuid, NetworkSpec spec) {
        String object = label(uuid, spec);
        Optional<NetworkSpec> old = spec(uuid);
        for (NetworkState other : list()) {
            if (!other.uuid().equals(uuid) && other.spec().bridge().equals(spec.bridge())) {
                throw new NetworkException(NodeErrorCode.NETWORK_IN_USE, object, "bridge " + spec.bridge()
                        + " belongs to network " + other.uuid() + ": choose another bridge name");
            }
        }
        if (old.isPresent() && !old.get().bridge().equals(spec.bridge())) {
            throw new NetworkException(NodeErrorCode.NETWORK_IN_USE, object, "network " + uuid + " is realised as bridge "
                    + old.get().bridge() + ": remove it first to rename its bridge");
        }
        Path dir = stateDir.resolve(uuid.toString());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String tunnel = tunnelName(spec);
        if (old.isPresent() && tunnelName(old.get()) != null && !tunnelName(old.get()).equals(tunnel)) {
            removeTunnel(old.get());
        }
        if (old.isPresent() && old.get().type() == NetworkType.EXTERNAL && !old.get().pif().equals(spec.pif())) {
            cmd.tryRun("ip", "link", "set", old.get().pif(), "nomaster");
        }
        int mtu = spec.mtu() != null ? spec.mtu() : defaultMtu(spec, object);
        if (!exists(spec.bridge())) {
            cmd.check(object, "ip", "link", "add", spec.bridge(), "type", "bridge");
        } else if (!"bridge".equals(kind(spec.bridge()))) {
            throw new NetworkException(NodeErrorCode.NETWORK_IN_USE, object, spec.bridge() + " exists and is not a bridge: choose another name");
        }
        cmd.check(object, "ip", "link", "set", spec.bridge(), "mtu", Integer.toString(mtu), "up");
        switch (spec.type()) {
            case PRIVATE -> realiseVxlan(spec, tunnel, mtu, object);
            case EXTERNAL -> cmd.check(object, "ip", "link", "set", spec.pif(), "master", spec.bridge(), "up");
            case VLAN -> realiseVlan(spec, tunnel, mtu, object);
        }
        Dnsmasq dnsmasq = new Dnsmasq(cmd, dir, spec.bridge());
        if (spec.dhcp() != null) {
            if (old.isPresent() && old.get().dhcp() != null && !old.get().dhcp().hostAddress().equals(spec.dhcp().hostAddress())) {
                cmd.tryRun("ip", "addr", "del", old.get().dhcp().hostAddress(), "dev", spec.bridge());
            }
            cmd.check(object, "ip", "addr", "replace", spec.dhcp().hostAddress(), "dev", spec.bridge());
            filter.available(); // its table keeps DHCP broadcasts from crossing the tunnels
            dnsmasq.ensure(spec.dhcp(), mtu, object);
        } else {
            dnsmasq.stop();
        }
        write(dir, spec);
        if (old.isEmpty() || !old.get().equals(spec)) {
            LOG.infof("%s: realised (%s, mtu %d%s)", object, spec.type(), mtu, tunnel == null ? "" : ", " + tunnel);
        }
        return state(uuid, spec);
    }

    /** Removes a network from this host: its taps, tunnel, dnsmasq (by pid) and bridge; a physical interface is only released. */
    public synchronized void remove(UUID uuid) {
        NetworkSpec spec = spec(uuid).orElseThrow(() -> notFound(uuid));
        String object = label(uuid, spec);
        Path dir = stateDir.resolve(uuid.toString());
        new Dnsmasq(cmd, dir, spec.bridge()).stop();
        for (String tap : ports(spec.bridge())) {
            if (tap.equals(spec.pif()) || tap.equals(tunnelName(spec))) {
                continue;
            }
            unplugVif(tap);
        }
        if (spec.type() == NetworkType.EXTERNAL) {
            cmd.tryRun("ip", "link", "set", spec.pif(), "nomaster");
        }
        removeTunnel(spec);
        cmd.tryRun("ip", "link", "del", spec.bridge());
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warnf("%s: cannot remove %s: %s", object, dir, e.getMessage());
        }
        LOG.infof("%s: removed", object);
    }

    /** The networks realised here, with their VIFs and leases. */
    public synchronized List<NetworkState> list() {
        List<NetworkState> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(stateDir)) {
            for (Path d : dirs.sorted().toList()) {
                try {
                    UUID uuid = UUID.fromString(d.getFileName().toString());
                    spec(uuid).ifPresent(s -> out.add(state(uuid, s)));
                } catch (IllegalArgumentException notOurs) {
                    // another file in the directory
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** One network's state. */
    public synchronized NetworkState get(UUID uuid) {
        return state(uuid, spec(uuid).orElseThrow(() -> notFound(uuid)));
    }

    /**
     * Plugs a VIF: creates the tap (when missing), enslaves it to the network's bridge with its MTU,
     * lets only {@code mac} out of it (where nftables can filter) and limits its rate in both
     * directions when {@code rateKbit} is set. Idempotent.
     */
    public synchronized void plugVif(UUID network, String tap, String mac, Integer rateKbit) {
        NetworkSpec spec = spec(network).orElseThrow(() -> notFound(network));
        if (!NetworkSpec.IFNAME.matcher(tap).matches()) {
            throw new IllegalArgumentException("tap name '" + tap + "' is invalid (1-15 letters, digits, '_', '.' or '-')");
        }
        if (mac == null || !mac.toLowerCase(Locale.ROOT).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}")) {
            throw new IllegalArgumentException("vif " + tap + ": MAC address '" + mac + "' is invalid (52:54:00:12:34:56)");
        }
        String object = "vif " + tap;
        if (!exists(tap)) {
            cmd.check(object, "ip", "tuntap", "add", "dev", tap, "mode", "tap");
        }
        int mtu = mtu(spec.bridge());
        cmd.check(object, "ip", "link", "set", tap, "master", spec.bridge(), "mtu", Integer.toString(mtu), "up");
        filter.guard(tap, mac.toLowerCase(Locale.ROOT), rateKbit);
        if (rateKbit != null) {
            // Towards the guest: a token bucket on the tap's egress.
            cmd.check(object, "tc", "qdisc", "replace", "dev", tap, "root", "tbf", "rate", rateKbit + "kbit",
                    "burst", Math.max(16, rateKbit / 80) + "kb", "latency", "50ms");
        } else {
            cmd.tryRun("tc", "qdisc", "del", "dev", tap, "root");
        }
    }

    /** Unplugs a VIF: its filter entries and its tap go. Idempotent. */
    public synchronized void unplugVif(String tap) {
        filter.unguard(tap);
        if (exists(tap)) {
            cmd.tryRun("ip", "link", "del", tap);
        }
    }

    /** Unplugs every VIF whose tap name starts with {@code prefix} ({@link #tapPrefix}); answers how many. */
    public synchronized int unplugVifs(String prefix) {
        int n = 0;
        for (JsonNode link : links()) {
            String name = link.path("ifname").asText();
            if (name.startsWith(prefix)) {
                unplugVif(name);
                n++;
            }
        }
        return n;
    }

    /** Whether this host can drop frames a VIF sends with another source MAC than its own. */
    public boolean canFilterVifs() {
        return filter.available();
    }

    /** The addresses this host's DHCP services gave to these MACs. */
    public synchronized List<GuestAddress> addressesOf(Collection<String> macs) {
        Set<String> wanted = new HashSet<>();
        macs.forEach(m -> wanted.add(m.toLowerCase(Locale.ROOT)));
        List<GuestAddress> out = new ArrayList<>();
        for (NetworkState n : list()) {
            n.leases().stream().filter(l -> wanted.contains(l.mac())).forEach(out::add);
        }
        return out;
    }

    private void realiseVxlan(NetworkSpec spec, String vx, int mtu, String object) {
        JsonNode info = details(vx).path("linkinfo").path("info_data");
        boolean same = info.path("id").asInt(-1) == spec.vni() && spec.localAddress().equals(info.path("local").asText())
                && info.path("port").asInt(-1) == spec.dstPort();
        if (exists(vx) && !same) {
            cmd.check(object, "ip", "link", "del", vx);
        }
        if (!exists(vx)) {
            cmd.check(object, "ip", "link", "add", vx, "type", "vxlan", "id", spec.vni().toString(),
                    "local", spec.localAddress(), "dstport", spec.dstPort().toString());
        }
        cmd.check(object, "ip", "link", "set", vx, "master", spec.bridge(), "mtu", Integer.toString(mtu), "up");
        Set<String> have = new LinkedHashSet<>();
        try {
            for (JsonNode e : JSON.readTree(cmd.check(object, "bridge", "-j", "fdb", "show", "dev", vx))) {
                if ("00:00:00:00:00:00".equals(e.path("mac").asText()) && e.has("dst")) {
                    have.add(e.path("dst").asText());
                }
            }
        } catch (IOException e) {
            throw new NetworkException(NodeErrorCode.NETWORK_FAILED, object, "cannot read the fdb of " + vx + ": " + e.getMessage());
        }
        for (String peer : spec.peers()) {
            if (!have.remove(peer)) {
                cmd.check(object, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", vx, "dst", peer);
            }
        }
        for (String stale : have) {
            cmd.tryRun("bridge", "fdb", "del", "00:00:00:00:00:00", "dev", vx, "dst", stale);
        }
    }

    private void realiseVlan(NetworkSpec spec, String dev, int mtu, String object) {
        if (!exists(dev)) {
            HostCommands.Result r = cmd.tryRun("ip", "link", "add", "link", spec.pif(), "name", dev, "type", "vlan",
                    "id", spec.vlan().toString());
            if (!r.ok()) {
                if (r.err().contains("Unknown device type") || !Files.exists(Path.of("/proc/net/vlan"))) {
                    cmd.tryRun("ip", "link", "del", spec.bridge());
                    throw new NetworkException(NodeErrorCode.NETWORK_NOT_SUPPORTED, object, "VLAN networks need 802.1q"
                            + " support in this host's kernel (module 8021q), which it lacks ('ip link add … type vlan'"
                            + " answers '" + r.err().strip() + "'): load 8021q on this host, or use a PRIVATE (VXLAN) network");
                }
                throw new NetworkException(NodeErrorCode.NETWORK_FAILED, object, "cannot add VLAN " + spec.vlan()
                        + " on " + spec.pif() + ": " + r.err().strip());
            }
        }
        cmd.check(object, "ip", "link", "set", dev, "master", spec.bridge(), "mtu", Integer.toString(mtu), "up");
    }

    private void removeTunnel(NetworkSpec spec) {
        String t = tunnelName(spec);
        if (t != null && exists(t)) {
            cmd.tryRun("ip", "link", "del", t);
        }
    }

    /** {@code vx<VNI>} for a private network, {@code <pif>.<tag>} (or {@code vlan<tag>} when too long) for a VLAN. */
    static String tunnelName(NetworkSpec spec) {
        return switch (spec.type()) {
            case PRIVATE -> "vx" + spec.vni();
            case VLAN -> (spec.pif() + "." + spec.vlan()).length() <= 15 ? spec.pif() + "." + spec.vlan() : "vlan" + spec.vlan();
            case EXTERNAL -> null;
        };
    }

    private int defaultMtu(NetworkSpec spec, String object) {
        if (spec.type() != NetworkType.PRIVATE) {
            if (!exists(spec.pif())) {
                throw new NetworkException(NodeErrorCode.INVALID_SPEC, object, "no interface " + spec.pif() + " on this host");
            }
            return mtu(spec.pif());
        }
        try {
            for (JsonNode link : JSON.readTree(cmd.check(object, "ip", "-j", "addr", "show"))) {
                for (JsonNode a : link.path("addr_info")) {
                    if (spec.localAddress().equals(a.path("local").asText())) {
                        return link.path("mtu").asInt(1500) - VXLAN_OVERHEAD;
                    }
                }
            }
        } catch (IOException e) {
            throw new NetworkException(NodeErrorCode.NETWORK_FAILED, object, "cannot read this host's addresses: " + e.getMessage());
        }
        throw new NetworkException(NodeErrorCode.INVALID_SPEC, object, "localAddress " + spec.localAddress()
                + " is not an address of this host: give the host's management address");
    }

    private NetworkState state(UUID uuid, NetworkSpec spec) {
        Dnsmasq d = new Dnsmasq(cmd, stateDir.resolve(uuid.toString()), spec.bridge());
        List<String> vifs = new ArrayList<>(ports(spec.bridge()));
        vifs.remove(tunnelName(spec));
        vifs.remove(spec.pif());
        return new NetworkState(uuid, spec, exists(spec.bridge()) ? mtu(spec.bridge()) : 0, tunnelName(spec),
                d.pid().orElse(null), vifs, d.leases());
    }

    private List<String> ports(String bridge) {
        List<String> out = new ArrayList<>();
        for (JsonNode link : links()) {
            if (bridge.equals(link.path("master").asText())) {
                out.add(link.path("ifname").asText());
            }
        }
        return out;
    }

    private JsonNode links() {
        try {
            return JSON.readTree(cmd.check(null, "ip", "-j", "link", "show"));
        } catch (IOException e) {
            throw new NetworkException(NodeErrorCode.NETWORK_FAILED, null, "cannot list links: " + e.getMessage());
        }
    }

    private boolean exists(String dev) {
        return cmd.tryRun("ip", "link", "show", "dev", dev).ok();
    }

    private JsonNode details(String dev) {
        HostCommands.Result r = cmd.tryRun("ip", "-d", "-j", "link", "show", "dev", dev);
        try {
            return r.ok() ? JSON.readTree(r.out()).path(0) : JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private String kind(String dev) {
        return details(dev).path("linkinfo").path("info_kind").asText(null);
    }

    private int mtu(String dev) {
        return details(dev).path("mtu").asInt(1500);
    }

    private Optional<NetworkSpec> spec(UUID uuid) {
        Path f = stateDir.resolve(uuid.toString()).resolve("network.json");
        try {
            return Files.exists(f) ? Optional.of(JSON.readValue(f.toFile(), NetworkSpec.class)) : Optional.empty();
        } catch (IOException e) {
            LOG.warnf("network %s: unreadable %s: %s", uuid, f, e.getMessage());
            return Optional.empty();
        }
    }

    private static void write(Path dir, NetworkSpec spec) {
        try {
            Path tmp = dir.resolve("network.json.tmp");
            JSON.writeValue(tmp.toFile(), spec);
            Files.move(tmp, dir.resolve("network.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static NetworkException notFound(UUID uuid) {
        return new NetworkException(NodeErrorCode.NETWORK_NOT_FOUND, "network " + uuid,
                "no network " + uuid + " is realised on this host: PUT /api/v1/networks/" + uuid + " first");
    }

    private static String label(UUID uuid, NetworkSpec spec) {
        return "network " + spec.bridge() + " (" + uuid + ")";
    }
}
