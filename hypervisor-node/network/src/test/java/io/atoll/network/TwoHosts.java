package io.atoll.network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Two "hosts" on this machine: two network namespaces joined by a veth pair with management
 * addresses 192.168.231.1 and .2, each with its own {@link HostNetworks}. Everything it makes
 * (namespaces, the processes started through {@link #track}, temp files) goes in {@link #close},
 * even after a failure. Traffic never leaves the namespaces.
 */
final class TwoHosts implements AutoCloseable {
    static final String ADDRESS1 = "192.168.231.1";
    static final String ADDRESS2 = "192.168.231.2";

    final String ns1;
    final String ns2;
    final Path dir;
    final HostNetworks host1;
    final HostNetworks host2;
    private final List<ProcessHandle> processes = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();

    TwoHosts() throws IOException {
        String id = UUID.randomUUID().toString().substring(0, 6);
        ns1 = "atoll-h1-" + id;
        ns2 = "atoll-h2-" + id;
        dir = Files.createTempDirectory("atoll-net-");
        try {
            run("ip", "netns", "add", ns1);
            run("ip", "netns", "add", ns2);
            run("ip", "link", "add", "mgmt0", "netns", ns1, "type", "veth", "peer", "name", "mgmt0", "netns", ns2);
            in(ns1, "ip", "addr", "add", ADDRESS1 + "/24", "dev", "mgmt0");
            in(ns2, "ip", "addr", "add", ADDRESS2 + "/24", "dev", "mgmt0");
            for (String ns : List.of(ns1, ns2)) {
                in(ns, "ip", "link", "set", "mgmt0", "up");
                in(ns, "ip", "link", "set", "lo", "up");
            }
            Files.createDirectories(dir.resolve("h1"));
            Files.createDirectories(dir.resolve("h2"));
            host1 = new HostNetworks(HostCommands.inNamespace(ns1), dir.resolve("h1"));
            host2 = new HostNetworks(HostCommands.inNamespace(ns2), dir.resolve("h2"));
        } catch (RuntimeException | IOException e) {
            close();
            throw e;
        }
    }

    /** A further namespace (a stand-in guest), deleted with the hosts. */
    String namespace(String suffix) {
        String ns = ns1.replace("-h1-", "-" + suffix + "-");
        run("ip", "netns", "add", ns);
        namespaces.add(ns);
        return ns;
    }

    /** Ends this process with the hosts (by its pid). */
    void track(ProcessHandle p) {
        processes.add(p);
    }

    static void in(String ns, String... command) {
        List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        a.addAll(List.of(command));
        run(a.toArray(String[]::new));
    }

    static void run(String... command) {
        HostCommands.Result r = HostCommands.host().run(List.of(command), null);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", command) + ": " + r.err());
        }
    }

    @Override
    public void close() {
        if (Boolean.getBoolean("atoll.test.keep-hosts")) {
            System.err.println("keeping " + ns1 + ", " + ns2 + ", " + dir + " (atoll.test.keep-hosts)");
            return;
        }
        for (ProcessHandle p : processes) {
            p.destroy();
        }
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        // dnsmasq daemons: each network's pid file, ended by pid.
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path pid : files.filter(f -> f.getFileName().toString().equals("dnsmasq.pid")).toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(p -> {
                    if (p.info().command().orElse("").endsWith("dnsmasq")) {
                        p.destroy();
                    }
                });
            }
        } catch (IOException | NumberFormatException ignored) {
            // nothing started
        }
        // Deleting a namespace deletes every link in it (bridges, vxlan, taps, the veth pair).
        HostCommands.host().tryRun("ip", "netns", "del", ns1);
        HostCommands.host().tryRun("ip", "netns", "del", ns2);
        namespaces.forEach(ns -> HostCommands.host().tryRun("ip", "netns", "del", ns));
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort
        }
    }
}
