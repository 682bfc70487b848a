package io.atoll.master.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hosts on a real network path for tests: one network namespace per host, each joined to two
 * bridges in the root namespace by veth pairs — a management network (the master, in the root
 * namespace, reaches the agents there) and a migration network — with an address on each. Names
 * carry a random tag so parallel builds do not meet; {@link #close()} deletes the namespaces (their
 * veth ends go with them) and the bridges. Traffic stays on these bridges.
 */
public final class NetnsHosts implements AutoCloseable {
    private final String tag;
    private final int subnet;
    private final int count;
    private final Path log;
    private final List<String> made = new ArrayList<>();

    private NetnsHosts(int count, Path log) {
        this.tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
        this.subnet = ThreadLocalRandom.current().nextInt(100, 250);
        this.count = count;
        this.log = log;
    }

    /** {@code count} hosts: namespace {@code atl-TAG-N}, management address 10.SUBNET.0.(10+N), migration 10.SUBNET.1.(10+N). */
    public static NetnsHosts create(int count) throws IOException {
        NetnsHosts n = new NetnsHosts(count, Files.createTempFile("atoll-netns-", ".log"));
        try {
            n.setUp();
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    private void setUp() {
        for (int net = 0; net < 2; net++) {
            String bridge = bridge(net);
            ip("link", "add", bridge, "type", "bridge");
            made.add("bridge " + bridge);
            ip("addr", "add", "10." + subnet + "." + net + ".1/24", "dev", bridge);
            ip("link", "set", bridge, "up");
        }
        for (int i = 0; i < count; i++) {
            String ns = namespace(i);
            ip("netns", "add", ns);
            made.add("netns " + ns);
            ip("-n", ns, "link", "set", "lo", "up");
            for (int net = 0; net < 2; net++) {
                String outer = "atv" + tag + net + i;
                ip("link", "add", outer, "type", "veth", "peer", "name", "eth" + net, "netns", ns);
                ip("link", "set", outer, "master", bridge(net));
                ip("link", "set", outer, "up");
                ip("-n", ns, "addr", "add", "10." + subnet + "." + net + "." + (10 + i) + "/24", "dev", "eth" + net);
                ip("-n", ns, "link", "set", "eth" + net, "up");
            }
        }
    }

    public int namespaceCount() {
        return count;
    }

    public String namespace(int host) {
        return "atl-" + tag + "-" + host;
    }

    /** The host's address on the management network. */
    public String address(int host) {
        return "10." + subnet + ".0." + (10 + host);
    }

    /** The root namespace's address on the management network (the bridge's): where the master and shared servers listen for the hosts. */
    public String managementGateway() {
        return "10." + subnet + ".0.1";
    }

    /** Cuts (or heals) a host's management link from inside its namespace: it keeps running, unreachable. */
    public void managementLink(int host, boolean up) {
        ip("-n", namespace(host), "link", "set", "eth0", up ? "up" : "down");
    }

    /** The host's address on the migration network. */
    public String migrationAddress(int host) {
        return "10." + subnet + ".1." + (10 + host);
    }

    /** Bytes the migration network has carried to the hosts so far (what its bridge ports sent into the namespaces). */
    public long migrationBytes() throws IOException {
        return carried(1);
    }

    /** Bytes the management network has carried to the hosts so far. */
    public long managementBytes() throws IOException {
        return carried(0);
    }

    private long carried(int net) throws IOException {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            // Frames a bridge forwards between its ports count on the ports, not on the bridge device.
            sum += Long.parseLong(Files.readString(Path.of("/sys/class/net", "atv" + tag + net + i, "statistics", "tx_bytes")).trim());
        }
        return sum;
    }

    private String bridge(int net) {
        return "atb" + tag + net;
    }

    private void ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        Commands.run(log, Duration.ofSeconds(20), argv);
    }

    @Override
    public void close() {
        List<String> reversed = new ArrayList<>(made);
        java.util.Collections.reverse(reversed);
        for (String thing : reversed) {
            String[] kind = thing.split(" ", 2);
            try {
                if (kind[0].equals("netns")) {
                    ip("netns", "del", kind[1]);
                } else {
                    ip("link", "del", kind[1]);
                }
            } catch (RuntimeException e) {
                System.err.println("NetnsHosts: could not remove " + thing + ": " + e.getMessage());
            }
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temp file
        }
    }
}
