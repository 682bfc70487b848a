package io.atoll.network;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Linux test guest under TCG whose QEMU runs inside a network namespace ({@code ip netns exec NS
 * qemu-system-x86_64 …}, a child of the test, ended by pid), with one virtio-net NIC on a tap of
 * that namespace.
 */
final class NamespaceGuest {
    private static final Pattern PING = Pattern.compile("PING (\\S+) sent=(\\d+) received=(\\d+)");

    final String name;
    final String mac;
    final GuestConsole console;
    final Process process;

    NamespaceGuest(TwoHosts hosts, String ns, String name, String tap, String mac) throws IOException {
        this.name = name;
        this.mac = mac;
        Path dir = Files.createDirectories(hosts.dir.resolve(name));
        Path serial = dir.resolve("serial.sock");
        Path log = dir.resolve("console.log");
        List<String> argv = List.of("ip", "netns", "exec", ns, "qemu-system-x86_64", "-accel", "tcg", "-m", "160",
                "-nodefaults", "-display", "none", "-no-reboot",
                "-kernel", TestGuests.linuxKernel().toString(), "-initrd", TestGuests.linuxInitrd().toString(),
                // no_timer_check: on a loaded host a TCG guest can fail the IO-APIC timer check and panic.
                "-append", TestGuests.linuxCmdline() + " no_timer_check",
                "-chardev", "socket,id=s0,path=" + serial + ",server=on,wait=off,logfile=" + log,
                "-serial", "chardev:s0",
                "-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device", "virtio-net-pci,id=nic0,netdev=n0,mac=" + mac);
        process = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile()).start();
        hosts.track(process.toHandle());
        console = new GuestConsole(log, serial);
    }

    void awaitReady() {
        console.await(l -> l.contains("ATOLL-GUEST READY"), Duration.ofSeconds(90), name + " READY");
    }

    /** Brings eth0 up by DHCP; answers the address. */
    String net() {
        String line = console.command("net", "ATOLL-GUEST ", Duration.ofSeconds(60));
        if (!line.startsWith("ATOLL-GUEST NET ")) {
            throw new AssertionError(name + ": " + line);
        }
        return line.substring("ATOLL-GUEST NET ".length()).strip();
    }

    /** Pings {@code ip} {@code count} times; answers how many replies came. */
    int ping(String ip, int count) {
        String line = console.command("ping " + ip + " " + count, "ATOLL-GUEST ", Duration.ofSeconds(30 + count));
        Matcher m = PING.matcher(line);
        if (!m.find()) {
            throw new AssertionError(name + ": " + line);
        }
        return Integer.parseInt(m.group(3));
    }
}
