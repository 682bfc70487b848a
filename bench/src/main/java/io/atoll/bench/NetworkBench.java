package io.atoll.bench;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.network.HostCommands;
import io.atoll.network.HostNetworks;
import io.atoll.node.api.DhcpSpec;
import io.atoll.node.api.NetworkSpec;
import io.atoll.node.api.NetworkSpec.NetworkType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guest-to-guest throughput (32 MiB through busybox nc) and latency (ping round trip) of two Linux
 * test guests (TCG): on an Atoll private network across two hosts (network namespaces joined by a
 * veth pair, bridges + VXLAN + filtered taps + dnsmasq, realised by {@link HostNetworks}), against
 * two guests joined by hand on one plain bridge in one namespace (taps, a hand-started dnsmasq).
 * Everything runs in namespaces it makes and removes; processes are ended by pid.
 */
final class NetworkBench implements Main.Bench {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Pattern SENT = Pattern.compile("SENT \\S+ (\\d+) ms=(\\d+)");
    private static final Pattern RTT = Pattern.compile("RTT \\S+ avg_ms=([0-9.]+)");
    private final List<ProcessHandle> processes = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();
    private Path root;

    @Override
    public String run(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int mib = 32;
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-bench-net-");
        String id = UUID.randomUUID().toString().substring(0, 6);
        try {
            // Atoll: a private network across two hosts.
            String ns1 = namespace("atoll-bn1-" + id);
            String ns2 = namespace("atoll-bn2-" + id);
            sh("ip", "link", "add", "mgmt0", "netns", ns1, "type", "veth", "peer", "name", "mgmt0", "netns", ns2);
            in(ns1, "ip", "addr", "add", "192.168.236.1/24", "dev", "mgmt0");
            in(ns2, "ip", "addr", "add", "192.168.236.2/24", "dev", "mgmt0");
            in(ns1, "ip", "link", "set", "mgmt0", "up");
            in(ns2, "ip", "link", "set", "mgmt0", "up");
            UUID net = UUID.randomUUID();
            HostNetworks h1 = new HostNetworks(HostCommands.inNamespace(ns1), Files.createDirectories(root.resolve("h1")));
            HostNetworks h2 = new HostNetworks(HostCommands.inNamespace(ns2), Files.createDirectories(root.resolve("h2")));
            h1.realise(net, new NetworkSpec("br-bench", NetworkType.PRIVATE, 9000, null, "192.168.236.1", List.of("192.168.236.2"),
                    null, null, null, new DhcpSpec("10.66.0.1/24", "10.66.0.10", "10.66.0.99", null)));
            h2.realise(net, new NetworkSpec("br-bench", NetworkType.PRIVATE, 9000, null, "192.168.236.2", List.of("192.168.236.1"),
                    null, null, null, new DhcpSpec("10.66.0.2/24", "10.66.0.100", "10.66.0.199", null)));
            h1.plugVif(net, "tbench-a", "52:54:00:66:00:01", null);
            h2.plugVif(net, "tbench-b", "52:54:00:66:00:02", null);
            double[] atoll = measure("atoll (VXLAN across hosts)", guest(ns1, "atoll-a", "tbench-a", "52:54:00:66:00:01"),
                    guest(ns2, "atoll-b", "tbench-b", "52:54:00:66:00:02"), runs, mib);
            endProcesses();

            // Raw: two QEMUs on one bridge, by hand.
            String ns3 = namespace("atoll-bn3-" + id);
            in(ns3, "ip", "link", "add", "br0", "type", "bridge");
            in(ns3, "ip", "addr", "add", "10.67.0.1/24", "dev", "br0");
            in(ns3, "ip", "link", "set", "br0", "up");
            for (String tap : List.of("tap-a", "tap-b")) {
                in(ns3, "ip", "tuntap", "add", "dev", tap, "mode", "tap");
                in(ns3, "ip", "link", "set", tap, "master", "br0", "up");
            }
            Process dnsmasq = new ProcessBuilder("ip", "netns", "exec", ns3, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                    "--port=0", "--bind-interfaces", "--interface=br0", "--except-interface=lo", "--user=root",
                    "--dhcp-range=10.67.0.10,10.67.0.99,255.255.255.0,3600", "--dhcp-leasefile=" + root.resolve("raw.leases"),
                    "--pid-file=")
                    .redirectErrorStream(true).redirectOutput(root.resolve("dnsmasq.log").toFile()).start();
            processes.add(dnsmasq.toHandle());
            double[] raw = measure("raw QEMU (one bridge)", guest(ns3, "raw-a", "tap-a", "52:54:00:67:00:01"),
                    guest(ns3, "raw-b", "tap-b", "52:54:00:67:00:02"), runs, mib);

            double ratio = atoll[0] / raw[0];
            double latencyRatio = atoll[1] / raw[1];
            System.out.printf("throughput %.1f vs %.1f MB/s, latency %.3f vs %.3f ms (atoll vs raw)%n", atoll[0], raw[0], atoll[1], raw[1]);
            return String.format("ratio=%.3f latency_ratio=%.3f atoll_mb_s=%.1f raw_mb_s=%.1f atoll_rtt_ms=%.3f raw_rtt_ms=%.3f"
                    + " goal=ratio>=0.9,latency_ratio<=1.2", ratio, latencyRatio, atoll[0], raw[0], atoll[1], raw[1]);
        } finally {
            endProcesses();
            namespaces.forEach(ns -> HostCommands.host().tryRun("ip", "netns", "del", ns));
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** {throughput MB/s (median), round trip ms (median)} from guest a to guest b. */
    private double[] measure(String what, GuestConsole a, GuestConsole b, int runs, int mib) {
        for (GuestConsole g : List.of(a, b)) {
            g.await(l -> l.contains("ATOLL-GUEST READY"), WAIT, what + " READY");
        }
        command(a, "net", "NET");
        String ipB = command(b, "net", "NET").substring("ATOLL-GUEST NET ".length()).strip();
        command(a, "ping " + ipB + " 3", "PING"); // warm the ARP and bridge tables
        List<Double> mbs = new ArrayList<>();
        List<Double> rtts = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            command(b, "listen 5001", "LISTENING");
            Matcher m = SENT.matcher(command(a, "send " + ipB + " 5001 " + mib, "SENT"));
            m.find();
            double mb = Integer.parseInt(m.group(1)) * 1.048576 / (Integer.parseInt(m.group(2)) / 1000.0);
            Matcher r = RTT.matcher(command(a, "rtt " + ipB + " 20", "RTT"));
            double rtt = r.find() ? Double.parseDouble(r.group(1)) : Double.NaN;
            System.out.printf("%s run %d: %.1f MB/s, rtt %.3f ms%n", what, i + 1, mb, rtt);
            mbs.add(mb);
            rtts.add(rtt);
        }
        return new double[] {median(mbs), median(rtts)};
    }

    private static String command(GuestConsole g, String line, String answer) {
        String got = g.command(line, "ATOLL-GUEST ", Duration.ofMinutes(3));
        if (!got.startsWith("ATOLL-GUEST " + answer)) {
            throw new IllegalStateException("'" + line + "' answered " + got);
        }
        return got;
    }

    private GuestConsole guest(String ns, String name, String tap, String mac) throws Exception {
        Path dir = Files.createDirectories(root.resolve(name));
        Path serial = dir.resolve("serial.sock");
        Path log = dir.resolve("console.log");
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "qemu-system-x86_64", "-accel", "tcg", "-m", "160",
                "-nodefaults", "-display", "none", "-no-reboot",
                "-kernel", TestGuests.linuxKernel().toString(), "-initrd", TestGuests.linuxInitrd().toString(),
                "-append", TestGuests.linuxCmdline() + " no_timer_check",
                "-chardev", "socket,id=s0,path=" + serial + ",server=on,wait=off,logfile=" + log, "-serial", "chardev:s0",
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,id=nic0,netdev=n0,mac=" + mac)
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
        processes.add(p.toHandle());
        return new GuestConsole(log, serial);
    }

    private void endProcesses() {
        for (ProcessHandle p : processes) {
            p.destroy();
        }
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        processes.clear();
        // The atoll networks' dnsmasq daemons, by their pid files.
        try (var files = Files.walk(root)) {
            for (Path pid : files.filter(f -> f.getFileName().toString().equals("dnsmasq.pid")).toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()))
                        .filter(h -> h.info().command().orElse("").endsWith("dnsmasq")).ifPresent(ProcessHandle::destroy);
                Files.deleteIfExists(pid);
            }
        } catch (Exception ignored) {
            // none
        }
    }

    private String namespace(String name) {
        sh("ip", "netns", "add", name);
        namespaces.add(name);
        return name;
    }

    private static void in(String ns, String... command) {
        HostCommands.inNamespace(ns).check(null, command);
    }

    private static void sh(String... command) {
        HostCommands.host().check(null, command);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
