package io.atoll.network;

import io.atoll.node.api.DhcpSpec;
import io.atoll.node.api.GuestAddress;
import io.atoll.node.api.NodeErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One dnsmasq (DHCP only, DNS off) per network on this host, bound to the network's bridge, serving
 * this host's slice of the subnet. It daemonizes and outlives the agent; it is found again and
 * stopped through its pid file, and only when {@code /proc/PID/cmdline} shows it is ours.
 */
final class Dnsmasq {
    private final HostCommands cmd;
    private final Path dir;
    private final String bridge;

    Dnsmasq(HostCommands cmd, Path dir, String bridge) {
        this.cmd = cmd;
        this.dir = dir;
        this.bridge = bridge;
    }

    Path pidFile() {
        return dir.resolve("dnsmasq.pid");
    }

    Path leaseFile() {
        return dir.resolve("dnsmasq.leases");
    }

    /** Starts it unless it runs already with this bridge; a running one with other settings is restarted. */
    void ensure(DhcpSpec dhcp, int mtu, String object) {
        List<String> args = new ArrayList<>(List.of("dnsmasq", "--conf-file=/dev/null", "--port=0",
                "--bind-interfaces", "--interface=" + bridge, "--except-interface=lo",
                "--dhcp-range=" + dhcp.rangeStart() + "," + dhcp.rangeEnd() + "," + dhcp.netmask() + "," + dhcp.leaseSeconds(),
                "--dhcp-option=option:router", "--dhcp-option=option:mtu," + mtu,
                "--dhcp-leasefile=" + leaseFile(), "--pid-file=" + pidFile(), "--user=root",
                "--log-facility=" + dir.resolve("dnsmasq.log")));
        Optional<Long> running = pid();
        if (running.isPresent()) {
            if (cmdline(running.get()).equals(String.join("\0", args) + "\0")) {
                return;
            }
            stop();
        }
        cmd.check(object, args.toArray(String[]::new));
        if (pid().isEmpty()) {
            throw new NetworkException(NodeErrorCode.NETWORK_FAILED, object, "dnsmasq did not start on " + bridge
                    + " (see " + dir.resolve("dnsmasq.log") + ")");
        }
    }

    /** The running dnsmasq's pid, when its pid file names a live dnsmasq for this bridge. */
    Optional<Long> pid() {
        try {
            long pid = Long.parseLong(Files.readString(pidFile()).strip());
            String line = cmdline(pid);
            return line.startsWith("dnsmasq\0") && line.contains("--interface=" + bridge + "\0")
                    ? Optional.of(pid) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Ends it (SIGTERM, then SIGKILL after 5 s) by its pid. */
    void stop() {
        pid().flatMap(ProcessHandle::of).ifPresent(p -> {
            p.destroy();
            try {
                p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        });
        try {
            Files.deleteIfExists(pidFile());
        } catch (IOException ignored) {
            // dnsmasq may remove it itself
        }
    }

    /** Its leases: {@code EXPIRY MAC IP NAME CLIENT-ID} lines. */
    List<GuestAddress> leases() {
        List<GuestAddress> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(leaseFile(), StandardCharsets.UTF_8)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3 && f[0].matches("\\d+")) {
                    out.add(new GuestAddress(f[1].toLowerCase(Locale.ROOT), f[2], Long.parseLong(f[0])));
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
