package io.atoll.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.network.HostCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two hosts, each a network namespace running its own node agent (and so its QEMUs and network
 * commands), joined by a veth pair (management addresses 192.168.231.1/.2); the test reaches the
 * agents over a veth into each namespace. One private network realised through both agents' APIs;
 * a Linux test guest (TCG) on each host with a NETWORK NIC: they get addresses (shown in the VM
 * info), ping each other across the VXLAN tunnel, one migrates while the other pings it (the lost
 * replies are counted and printed), and a NIC unplugged from the running guest stops its traffic,
 * while one plugged back brings it back.
 */
class NetworkAgentIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Pattern PING = Pattern.compile("PING (\\S+) sent=(\\d+) received=(\\d+)");
    private static final String NETWORK = "00000000-0000-4000-8000-00000000c0de";
    private Path root;
    private String id;
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> rootLinks = new ArrayList<>();
    private AgentProcess agent1;
    private AgentProcess agent2;

    @BeforeEach
    void twoHostsWithAgents() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-netagent-");
        id = UUID.randomUUID().toString().substring(0, 6);
        String ns1 = namespace("h1");
        String ns2 = namespace("h2");
        run("ip", "link", "add", "mgmt0", "netns", ns1, "type", "veth", "peer", "name", "mgmt0", "netns", ns2);
        in(ns1, "ip", "addr", "add", "192.168.231.1/24", "dev", "mgmt0");
        in(ns2, "ip", "addr", "add", "192.168.231.2/24", "dev", "mgmt0");
        control(ns1, "1", "192.168.235.1", "192.168.235.2");
        control(ns2, "2", "192.168.235.5", "192.168.235.6");
        for (String ns : List.of(ns1, ns2)) {
            in(ns, "ip", "link", "set", "mgmt0", "up");
            in(ns, "ip", "link", "set", "lo", "up");
        }
        agent1 = new AgentProcess(root.resolve("a1"), ns1, "192.168.235.2").start();
        agent2 = new AgentProcess(root.resolve("a2"), ns2, "192.168.235.6").start();
    }

    /** The test's own link into a namespace: a /30 between this (root) namespace and the agent's. */
    private void control(String ns, String n, String here, String there) {
        String link = "ac" + id + "-" + n;
        run("ip", "link", "add", link, "type", "veth", "peer", "name", "ctl0", "netns", ns);
        rootLinks.add(link);
        run("ip", "addr", "add", here + "/30", "dev", link);
        run("ip", "link", "set", link, "up");
        in(ns, "ip", "addr", "add", there + "/30", "dev", "ctl0");
        in(ns, "ip", "link", "set", "ctl0", "up");
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            // dnsmasq daemons first, by the pid files of their networks (closing an agent deletes its tree)
            try (Stream<Path> files = Files.walk(root)) {
                for (Path pid : files.filter(f -> f.getFileName().toString().equals("dnsmasq.pid")).toList()) {
                    ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()))
                            .filter(p -> p.info().command().orElse("").endsWith("dnsmasq")).ifPresent(ProcessHandle::destroy);
                }
            } catch (Exception ignored) {
                // none
            }
            for (AgentProcess a : new AgentProcess[] {agent1, agent2}) {
                if (a != null) {
                    a.close(); // ends its QEMUs by pid and fails the test if any was left
                }
            }
        } finally {
            rootLinks.forEach(l -> HostCommands.host().tryRun("ip", "link", "del", l));
            namespaces.forEach(ns -> HostCommands.host().tryRun("ip", "netns", "del", ns));
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void guestsOnAPrivateNetworkAcrossTwoAgentsPingMigrateAndLoseTheirNic() throws Exception {
        for (AgentProcess[] pair : new AgentProcess[][] {{agent1, agent2}, {agent2, agent1}}) {
            boolean first = pair[0] == agent1;
            pair[0].api().body("""
                    {"bridge": "br-priv", "type": "PRIVATE", "vni": 7000, "localAddress": "%s", "peers": ["%s"],
                     "dhcp": {"hostAddress": "%s/24", "rangeStart": "%s", "rangeEnd": "%s"}}
                    """.formatted(first ? "192.168.231.1" : "192.168.231.2", first ? "192.168.231.2" : "192.168.231.1",
                    first ? "10.88.0.1" : "10.88.0.2", first ? "10.88.0.10" : "10.88.0.100", first ? "10.88.0.99" : "10.88.0.199"))
                    .put("/api/v1/networks/" + NETWORK).then().statusCode(200).body("tunnel", equalTo("vx7000"));
        }
        String vmA = startGuest(agent1, "guest-a");
        String vmB = startGuest(agent2, "guest-b");
        GuestConsole a = console(agent1, vmA);
        GuestConsole b = console(agent2, vmB);
        a.await(l -> l.contains("ATOLL-GUEST READY"), WAIT, "guest-a READY");
        b.await(l -> l.contains("ATOLL-GUEST READY"), WAIT, "guest-b READY");
        CompletableFuture<String> netA = CompletableFuture.supplyAsync(() -> net(a));
        String ipB = net(b);
        String ipA = netA.get();
        agent1.api().get("/api/v1/vms/" + vmA).then().body("addresses[0].ip", equalTo(ipA));
        agent2.api().get("/api/v1/vms/" + vmB).then().body("addresses[0].ip", equalTo(ipB));
        agent1.api().get("/api/v1/networks/" + NETWORK).then().body("vifs.size()", equalTo(1));

        // Across the tunnel, both ways.
        assertThat(ping(a, ipB, 5)[1]).isGreaterThanOrEqualTo(4);
        assertThat(ping(b, ipA, 5)[1]).isGreaterThanOrEqualTo(4);

        // guest-a migrates to host 2 while guest-b pings it: the target's tap is on its bridge before
        // QEMU listens, so only the switch-over can lose replies.
        CompletableFuture<int[]> during = CompletableFuture.supplyAsync(() -> ping(b, ipA, 40));
        Thread.sleep(1500);
        Map<String, Object> spec = agent1.api().get("/api/v1/vms/" + vmA).then().extract().jsonPath().getMap("spec");
        String uri = agent2.api().body(Map.of("spec", spec, "listenAddress", "192.168.231.2")).post("/api/v1/vms/incoming")
                .then().statusCode(200).body("uri", startsWith("tcp:192.168.231.2:")).extract().path("uri");
        agent1.api().body(Map.of("uri", uri)).post("/api/v1/vms/" + vmA + "/migrate").then().statusCode(200);
        int[] counts = during.get();
        System.out.printf("network migration: guest-b -> guest-a: sent=%d received=%d lost=%d%n", counts[0], counts[1],
                counts[0] - counts[1]);
        assertThat(counts[1]).as("replies while guest-a migrated").isGreaterThanOrEqualTo(counts[0] - 10);
        agent1.api().get("/api/v1/networks/" + NETWORK).then().body("vifs.size()", equalTo(0));
        agent2.api().get("/api/v1/networks/" + NETWORK).then().body("vifs.size()", equalTo(2));
        GuestConsole aThere = console(agent2, vmA);
        assertThat(ping(aThere, ipB, 3)[1]).isGreaterThanOrEqualTo(2);

        // A NIC unplugged from the running guest-b: no more traffic; plugged back: traffic again.
        agent2.api().delete("/api/v1/vms/" + vmB + "/nics/nic0").then().statusCode(200).body("spec.nics.size()", equalTo(0));
        assertThat(ping(aThere, ipB, 3)[1]).isZero();
        agent2.api().body("""
                {"id": "nic0", "mode": "NETWORK", "network": "%s"}""".formatted(NETWORK))
                .post("/api/v1/vms/" + vmB + "/nics").then().statusCode(200).body("spec.nics[0].mode", equalTo("NETWORK"));
        net(b);
        assertThat(ping(aThere, ipB, 5)[1]).as("after the NIC came back").isGreaterThanOrEqualTo(3);

        for (String vm : List.of(vmA, vmB)) {
            agent2.api().body(Map.of("force", true)).post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(200);
        }
        agent2.api().get("/api/v1/networks/" + NETWORK).then().body("vifs.size()", equalTo(0));
        agent1.api().delete("/api/v1/networks/" + NETWORK).then().statusCode(204);
        agent2.api().delete("/api/v1/networks/" + NETWORK).then().statusCode(204);
    }

    private String startGuest(AgentProcess agent, String name) {
        String uuid = agent.api().body("""
                {"name": "%s", "vcpus": 1, "memoryMiB": 160, "accelerator": "TCG",
                 "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"},
                 "nics": [{"id": "nic0", "mode": "NETWORK", "network": "%s"}]}
                """.formatted(name, TestGuests.linuxKernel(), TestGuests.linuxInitrd(), TestGuests.linuxCmdline() + " no_timer_check", NETWORK))
                .post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        agent.api().post("/api/v1/vms/" + uuid + "/start").then().statusCode(200);
        return uuid;
    }

    private static GuestConsole console(AgentProcess agent, String vm) {
        return new GuestConsole(agent.root().resolve("state").resolve(vm).resolve("console.log"),
                agent.root().resolve("run").resolve(vm).resolve("serial.sock"));
    }

    private static String net(GuestConsole g) {
        String line = g.command("net", "ATOLL-GUEST ", Duration.ofSeconds(60));
        assertThat(line).startsWith("ATOLL-GUEST NET ");
        return line.substring("ATOLL-GUEST NET ".length()).strip();
    }

    /** {sent, received}. */
    private static int[] ping(GuestConsole g, String ip, int count) {
        String line = g.command("ping " + ip + " " + count, "ATOLL-GUEST ", Duration.ofSeconds(30 + count));
        Matcher m = PING.matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
    }

    private String namespace(String suffix) {
        String ns = "atoll-" + suffix + "-" + id;
        run("ip", "netns", "add", ns);
        namespaces.add(ns);
        return ns;
    }

    private static void in(String ns, String... command) {
        List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        a.addAll(List.of(command));
        run(a.toArray(String[]::new));
    }

    private static void run(String... command) {
        HostCommands.host().check(null, command);
    }
}
