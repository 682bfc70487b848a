package io.atoll.agent;

import io.atoll.network.HostCommands;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Runs the agent's network commands in a namespace of the test's own ({@code atoll.agent.network-namespace}),
 * with an interface {@code pif0} (a veth, 192.168.233.1/24) to build networks on; at the end the
 * dnsmasq daemons it started are ended by pid and the namespace (with every link in it) is deleted.
 */
public class NetworkNamespace implements QuarkusTestResourceLifecycleManager {
    static final String ADDRESS = "192.168.233.1";
    private String ns;
    private Path dir;

    @Override
    public Map<String, String> start() {
        ns = "atoll-agt-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            dir = Files.createTempDirectory(Path.of("/tmp"), "atoll-agent-net-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HostCommands host = HostCommands.host();
        host.check(null, "ip", "netns", "add", ns);
        HostCommands in = HostCommands.inNamespace(ns);
        in.check(null, "ip", "link", "add", "pif0", "type", "veth", "peer", "name", "pif1");
        in.check(null, "ip", "addr", "add", ADDRESS + "/24", "dev", "pif0");
        in.check(null, "ip", "link", "set", "pif0", "up");
        in.check(null, "ip", "link", "set", "pif1", "up");
        Map<String, String> config = new HashMap<>(new AgentDirs().startIn(dir));
        config.put("atoll.agent.network-namespace", ns);
        return config;
    }

    @Override
    public void stop() {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path pid : files.filter(f -> f.getFileName().toString().equals("dnsmasq.pid")).toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()))
                        .filter(p -> p.info().command().orElse("").endsWith("dnsmasq")).ifPresent(ProcessHandle::destroy);
            }
        } catch (IOException | NumberFormatException ignored) {
            // nothing started
        }
        HostCommands.host().tryRun("ip", "netns", "del", ns);
        List<ProcessHandle> left = AgentDirs.qemusUnder(dir);
        left.forEach(ProcessHandle::destroyForcibly);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
        if (!left.isEmpty()) {
            throw new AssertionError("QEMU processes were left running by the network tests: " + left);
        }
    }
}
