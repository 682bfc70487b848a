package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.master.testing.Api;
import io.atoll.master.testing.NetnsHosts;
import io.atoll.master.testing.NodeAgentProcess;
import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The pool master's networking end to end: two hosts, each a network namespace running a real node
 * agent (NetnsHosts), Linux test guests under TCG. The master creates two private networks; a VM on
 * the first starts on each host (the master realises the network on each before the start, with the
 * other host as VXLAN peer and each host's own DHCP slice); the guests get addresses from their
 * host's slice, which the master's API then shows; they ping each other across the tunnel; one
 * migrates through the master while the other pings it (lost replies counted and printed), a
 * guest on the second network reaches neither, and a VIF unplugged and plugged through the master
 * on a running guest stops and brings back its traffic. A VM on a VLAN network does not start (these
 * kernels lack 802.1q): the host's refusal comes back with the network named. The networks cannot go while VIFs use them, and go
 * from both hosts once the VMs are gone.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolNetworkIT {
    private static final Duration TASK = Duration.ofSeconds(90);
    private static final Duration GUEST = Duration.ofSeconds(90);
    private static final Pattern PING = Pattern.compile("PING (\\S+) sent=(\\d+) received=(\\d+)");
    private NetnsHosts net;
    private NodeAgentProcess agentA;
    private NodeAgentProcess agentB;
    private String hostA;
    private String hostB;

    @TestHTTPResource
    URL master;

    @BeforeAll
    void startHosts() throws Exception {
        net = NetnsHosts.create(2);
        agentA = NodeAgentProcess.start(false, false, net.namespace(0), net.address(0));
        agentB = NodeAgentProcess.start(false, false, net.namespace(1), net.address(1));
    }

    @Test
    void guestsOnAPoolNetworkGetAddressesPingAcrossHostsAndKeepPingingThroughAMigration() throws Exception {
        hostA = api().body("{\"agentUrl\": \"" + agentA.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
        hostB = api().body("{\"agentUrl\": \"" + agentB.url() + "\"}").post("/api/v1/hosts").then().statusCode(201).extract().path("uuid");
        // Subnets given (the test's management network is a random 10.x.0.0/24, which the pool range might meet).
        String front = api().body("{\"name\": \"front\", \"subnet\": \"172.29.1.0/24\"}").post("/api/v1/networks").then().statusCode(201)
                .extract().path("uuid");
        api().body("{\"name\": \"back\", \"subnet\": \"172.29.2.0/24\"}").post("/api/v1/networks").then().statusCode(201);

        // A VLAN network: these hosts' kernels lack 802.1q; the start fails with the host's reason, the network named.
        String tagged = api().body("{\"name\": \"tagged\", \"type\": \"VLAN\", \"pif\": \"eth1\", \"vlan\": 42}").post("/api/v1/networks")
                .then().statusCode(201).extract().path("uuid");
        String v = createGuest("guest-vlan", "tagged");
        JsonPath refused = Api.awaitTask(start(v, hostA), TASK);
        assertThat(refused.getString("status")).isEqualTo("FAILURE");
        assertThat(refused.getString("error.code")).isEqualTo("NETWORK_NOT_SUPPORTED");
        assertThat(refused.getString("error.message")).contains("network " + tagged + " (tagged)").contains("802.1q");
        api().get("/api/v1/vms/" + v).then().body("powerState", equalTo("HALTED")).body("residentOn", org.hamcrest.Matchers.nullValue());
        succeeded(api().delete("/api/v1/vms/" + v).then().statusCode(202).extract().path("uuid"), TASK);
        api().delete("/api/v1/networks/" + tagged).then().statusCode(204);

        String a = createGuest("guest-a", "front");
        String b = createGuest("guest-b", front);
        String c = createGuest("guest-c", "back");
        long began = System.nanoTime();
        String startA = start(a, hostA);
        String startB = start(b, hostB);
        succeeded(startA, TASK);
        succeeded(startB, TASK);
        succeeded(start(c, hostB), TASK);

        // The network on both hosts, each with its own DHCP slice, and each the other's peer.
        JsonPath network = api().get("/api/v1/networks/" + front).then().statusCode(200).extract().jsonPath();
        assertThat(network.getList("hosts.realised")).containsExactly(true, true);
        Map<String, Object> onA = hostEntry(network, hostA);
        Map<String, Object> onB = hostEntry(network, hostB);
        assertThat(onA.get("rangeStart")).isNotEqualTo(onB.get("rangeStart"));
        int vni = network.getInt("vni");
        RestAssured.given().baseUri(agentA.url()).port(agentA.port()).get("/api/v1/networks/" + front).then().statusCode(200)
                .body("tunnel", equalTo("vx" + vni)).body("spec.peers", equalTo(List.of(net.address(1))));
        RestAssured.given().baseUri(agentB.url()).port(agentB.port()).get("/api/v1/networks/" + front).then().statusCode(200)
                .body("spec.peers", equalTo(List.of(net.address(0))));

        GuestConsole ga = console(agentA, a);
        GuestConsole gb = console(agentB, b);
        GuestConsole gc = console(agentB, c);
        for (GuestConsole g : List.of(ga, gb, gc)) {
            g.await(l -> l.contains("ATOLL-GUEST READY"), GUEST, "the guest READY");
        }
        System.out.printf("pool network: three guests ready %d ms after the starts%n", (System.nanoTime() - began) / 1_000_000);
        CompletableFuture<String> netA = CompletableFuture.supplyAsync(() -> net(ga));
        CompletableFuture<String> netC = CompletableFuture.supplyAsync(() -> net(gc));
        String ipB = net(gb);
        String ipA = netA.get();
        String ipC = netC.get();
        assertThat(ipA).as("guest-a's address is from host A's slice %s-%s", onA.get("rangeStart"), onA.get("rangeEnd"))
                .satisfies(ip -> assertThat(inRange(ip, onA)).isTrue());
        assertThat(inRange(ipB, onB)).as("guest-b's address %s is from host B's slice", ipB).isTrue();
        assertThat(ipC).startsWith("172.29.2.");

        // The master learns the addresses from the hosts' polls.
        awaitAddress(a, ipA);
        awaitAddress(b, ipB);
        awaitAddress(c, ipC);

        // Across the tunnel, both ways; the other network reaches neither.
        assertThat(ping(ga, ipB, 5)[1]).isGreaterThanOrEqualTo(4);
        assertThat(ping(gb, ipA, 5)[1]).isGreaterThanOrEqualTo(4);
        assertThat(ping(gc, ipA, 3)[1]).as("back -> front (guest-a)").isZero();
        assertThat(ping(gc, ipB, 3)[1]).as("back -> front (guest-b, same host)").isZero();
        assertThat(ping(gb, ipC, 3)[1]).as("front -> back").isZero();

        // guest-a migrates to host B through the master while guest-b pings it.
        CompletableFuture<int[]> during = CompletableFuture.supplyAsync(() -> ping(gb, ipA, 40));
        Thread.sleep(1500);
        JsonPath moved = succeeded(api().body("{\"host\": \"" + hostB + "\"}").post("/api/v1/vms/" + a + "/migrate").then().statusCode(202)
                .extract().path("uuid"), TASK);
        assertThat(moved.getString("result.residentOn")).isEqualTo(hostB);
        int[] counts = during.get();
        System.out.printf("pool network migration: guest-b -> guest-a: sent=%d received=%d lost=%d%n", counts[0], counts[1],
                counts[0] - counts[1]);
        assertThat(counts[1]).as("replies while guest-a migrated").isGreaterThanOrEqualTo(counts[0] - 10);
        GuestConsole aOnB = console(agentB, a);
        assertThat(ping(aOnB, ipB, 3)[1]).isGreaterThanOrEqualTo(2);
        // Its address stays known: the lease is host A's, whose leases the master reads too.
        Thread.sleep(2500);
        api().get("/api/v1/vms/" + a).then().body("residentOn", equalTo(hostB)).body("addresses[0].ip", equalTo(ipA));

        // guest-b's VIF unplugged through the master: its traffic stops; a new VIF plugged into the running guest
        // (the first free id again, a fresh MAC) gets an address from host B's slice, and the traffic is back.
        JsonPath unplugged = succeeded(api().delete("/api/v1/vms/" + b + "/vifs/nic0").then().statusCode(202).extract().path("uuid"), TASK);
        assertThat(unplugged.getList("result.nics")).isEmpty();
        assertThat(ping(aOnB, ipB, 3)[1]).as("after the unplug").isZero();
        JsonPath plugged = succeeded(api().body("{\"network\": \"front\"}").post("/api/v1/vms/" + b + "/vifs").then().statusCode(202)
                .extract().path("uuid"), TASK);
        assertThat(plugged.getString("result.nics[0].id")).isEqualTo("nic0");
        String ipB2 = net(gb);
        assertThat(inRange(ipB2, onB)).as("the new VIF's address %s is from host B's slice", ipB2).isTrue();
        assertThat(ping(aOnB, ipB2, 5)[1]).as("after the plug").isGreaterThanOrEqualTo(3);
        awaitAddress(b, ipB2);
        // guest-b, its VIF hot-plugged, migrates to host A: the NIC comes along (the target's QEMU has it on its command line).
        JsonPath back = succeeded(api().body("{\"host\": \"" + hostA + "\"}").post("/api/v1/vms/" + b + "/migrate").then().statusCode(202)
                .extract().path("uuid"), TASK);
        assertThat(back.getString("result.residentOn")).isEqualTo(hostA);
        assertThat(ping(aOnB, ipB2, 5)[1]).as("guest-b, moved to host A after the plug").isGreaterThanOrEqualTo(3);

        // Networks cannot go while VIFs use them; they go from both hosts once the VMs are gone.
        api().delete("/api/v1/networks/" + front).then().statusCode(409).body("code", equalTo("NETWORK_IN_USE"));
        for (String vm : List.of(a, b, c)) {
            succeeded(api().body("{\"force\": true}").post("/api/v1/vms/" + vm + "/shutdown").then().statusCode(202).extract().path("uuid"), TASK);
            succeeded(api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid"), TASK);
        }
        for (Map<String, Object> n : api().get("/api/v1/networks").then().extract().jsonPath().<Map<String, Object>>getList("")) {
            api().delete("/api/v1/networks/" + n.get("uuid")).then().statusCode(204);
        }
        for (NodeAgentProcess agent : List.of(agentA, agentB)) {
            RestAssured.given().baseUri(agent.url()).port(agent.port()).get("/api/v1/networks").then().statusCode(200)
                    .body("size()", equalTo(0));
        }
    }

    private String createGuest(String name, String network) {
        return api().body("""
                {"name": "%s", "memoryMiB": 160, "accelerator": "TCG",
                 "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "%s"},
                 "nics": [{"network": "%s"}]}
                """.formatted(name, TestGuests.linuxKernel(), TestGuests.linuxInitrd(), TestGuests.linuxCmdline() + " no_timer_check", network))
                .post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
    }

    private static String start(String vm, String host) {
        return api().body("{\"host\": \"" + host + "\"}").post("/api/v1/vms/" + vm + "/start").then().statusCode(202).extract().path("uuid");
    }

    private static Map<String, Object> hostEntry(JsonPath network, String host) {
        return network.getMap("hosts.find { it.host == '" + host + "' }");
    }

    private static boolean inRange(String ip, Map<String, Object> slice) {
        long v = ipv4(ip);
        return v >= ipv4((String) slice.get("rangeStart")) && v <= ipv4((String) slice.get("rangeEnd"));
    }

    private static long ipv4(String ip) {
        long v = 0;
        for (String part : ip.split("\\.")) {
            v = v << 8 | Integer.parseInt(part);
        }
        return v;
    }

    private static void awaitAddress(String vm, String ip) throws InterruptedException {
        Api.await("vm " + vm + " shows address " + ip, Duration.ofSeconds(30), () -> {
            JsonPath v = api().get("/api/v1/vms/" + vm).then().extract().jsonPath();
            return ip.equals(v.getString("addresses[0].ip")) && ip.equals(v.getString("nics[0].ip"));
        });
    }

    private static GuestConsole console(NodeAgentProcess agent, String vm) {
        return new GuestConsole(agent.consoleLog(vm), agent.consoleSocket(vm));
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

    @AfterAll
    void cleanUp() throws Exception {
        try {
            RestAssured.baseURI = master.toString().replaceAll("/$", "");
            RestAssured.port = master.getPort();
            for (var vm : api().get("/api/v1/vms").then().extract().jsonPath().getList("", Map.class)) {
                if (vm.get("residentOn") != null) {
                    Api.awaitTask(api().body("{\"force\": true}").post("/api/v1/vms/" + vm.get("uuid") + "/shutdown").then()
                            .extract().path("uuid"), TASK);
                }
                Api.awaitTask(api().delete("/api/v1/vms/" + vm.get("uuid")).then().extract().path("uuid"), TASK);
            }
            for (var n : api().get("/api/v1/networks").then().extract().jsonPath().getList("", Map.class)) {
                api().delete("/api/v1/networks/" + n.get("uuid"));
            }
            for (String h : new String[] {hostA, hostB}) {
                if (h != null) {
                    api().delete("/api/v1/hosts/" + h);
                }
            }
        } finally {
            try {
                for (NodeAgentProcess agent : new NodeAgentProcess[] {agentA, agentB}) {
                    if (agent != null) {
                        endDnsmasq(agent.root());
                        agent.close();
                    }
                }
            } finally {
                if (net != null) {
                    net.close();
                }
            }
        }
    }

    /** dnsmasq outlives its agent (as QEMU does): a network left on a host is ended by its pid file, only if that pid is a dnsmasq. */
    private static void endDnsmasq(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path pid : files.filter(f -> f.getFileName().toString().equals("dnsmasq.pid")).toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()))
                        .filter(p -> p.info().command().orElse("").endsWith("dnsmasq")).ifPresent(ProcessHandle::destroy);
            }
        } catch (Exception ignored) {
            // nothing there
        }
    }
}
