package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.network.NetworkRealiser;
import io.atoll.master.testing.Api;
import io.atoll.master.testing.FakeAgent;
import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Networks as pool objects: what the master allocates (VNIs, subnets, DHCP slices per host),
 * what it refuses and how it says so, VIFs on networks (by name or uuid, stable MACs, plug and
 * unplug on a halted VM), deletion refused while VIFs use a network, and realisation on two
 * stand-in agents (peers both ways, a VLAN network refused naming the network, removal from the
 * hosts at destroy). {@code PoolNetworkIT} does it with real agents and guests.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class NetworkApiTest {
    private static final Duration TASK = Duration.ofSeconds(30);
    private static final String AGENT_TOKEN = "fake-agent-token-networks";

    @Inject
    NetworkRealiser realiser;

    @Test
    void networksAreCreatedReadAndDestroyed() {
        String net = api().body("{\"name\": \"backend\"}").post("/api/v1/networks").then().statusCode(201)
                .body("type", equalTo("PRIVATE")).body("mtu", nullValue()).body("bridge", containsString("xapi"))
                .body("subnet", matchesPattern("10\\.\\d+\\.\\d+\\.0/24")).body("dhcp", equalTo(true)).extract().path("uuid");
        api().body("{\"name\": \"backend\"}").post("/api/v1/networks").then().statusCode(409).body("code", equalTo("NETWORK_NAME_TAKEN"));
        String bridge = api().get("/api/v1/networks/" + net).then().statusCode(200).extract().path("bridge");
        api().body("{\"name\": \"other\", \"bridge\": \"" + bridge + "\"}").post("/api/v1/networks").then().statusCode(409)
                .body("message", containsString("bridge " + bridge));
        api().body("{\"name\": \"jumbo\", \"bridge\": \"br-jumbo\", \"mtu\": 9000}").post("/api/v1/networks").then().statusCode(201);
        api().body("{\"name\": \"bad\", \"bridge\": \"a-bridge-name-too-long\"}").post("/api/v1/networks").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC"));
        api().body("{\"name\": \"bad\", \"mtu\": 20}").post("/api/v1/networks").then().statusCode(400).body("message", containsString("MTU"));
        api().get("/api/v1/networks").then().statusCode(200).body("name", hasItem("backend")).body("name", hasItem("jumbo"));
        api().delete("/api/v1/networks/" + net).then().statusCode(204);
        api().get("/api/v1/networks/" + net).then().statusCode(404).body("code", equalTo("NETWORK_NOT_FOUND"));
        api().delete("/api/v1/networks/" + UUID.randomUUID()).then().statusCode(404);
        api().get("/api/v1/networks").then().body("name", not(hasItem("backend")));
    }

    @Test
    void privateNetworksGetUniqueVnisAndDisjointSubnetsAndBadInputIsRefusedNamingTheFix() {
        JsonPath a = api().body("{\"name\": \"alloc-a\"}").post("/api/v1/networks").then().statusCode(201).extract().jsonPath();
        JsonPath b = api().body("{\"name\": \"alloc-b\"}").post("/api/v1/networks").then().statusCode(201).extract().jsonPath();
        assertThat(a.getInt("vni")).isGreaterThanOrEqualTo(5000).isNotEqualTo(b.getInt("vni"));
        assertThat(a.getString("subnet")).isNotEqualTo(b.getString("subnet"));

        // A VNI that is taken, a subnet that overlaps, a subnet that is not one.
        api().body("{\"name\": \"alloc-c\", \"vni\": " + a.getInt("vni") + "}").post("/api/v1/networks").then().statusCode(409)
                .body("code", equalTo("NETWORK_VNI_TAKEN")).body("message", containsString("network alloc-a"))
                .body("message", containsString("choose another VNI"));
        String inside = a.getString("subnet").replace(".0/24", ".128/25");
        api().body("{\"name\": \"alloc-c\", \"subnet\": \"" + inside + "\"}").post("/api/v1/networks").then().statusCode(409)
                .body("code", equalTo("NETWORK_SUBNET_OVERLAP")).body("message", containsString("overlaps " + a.getString("subnet")))
                .body("message", containsString("network alloc-a"));
        api().body("{\"name\": \"alloc-c\", \"subnet\": \"10.1.2.0\"}").post("/api/v1/networks").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC")).body("message", containsString("CIDR"));
        api().body("{\"name\": \"alloc-c\", \"subnet\": \"10.1.2.5/24\"}").post("/api/v1/networks").then().statusCode(400)
                .body("message", containsString("give its network address (10.1.2.0/24)"));
        api().body("{\"name\": \"alloc-c\", \"subnet\": \"10.1.2.0/28\"}").post("/api/v1/networks").then().statusCode(400)
                .body("message", containsString("too small"));
        api().body("{\"name\": \"alloc-c\", \"vni\": 0}").post("/api/v1/networks").then().statusCode(400).body("message", containsString("VNI"));
        api().body("{\"name\": \"alloc-c\", \"pif\": \"eth1\"}").post("/api/v1/networks").then().statusCode(400)
                .body("message", containsString("EXTERNAL and VLAN"));
        api().body("{\"name\": \"alloc-c\", \"type\": \"VLAN\", \"pif\": \"eth1\"}").post("/api/v1/networks").then().statusCode(400)
                .body("message", containsString("needs 'vlan'"));
        // A given subnet and VNI are kept; EXTERNAL names a PIF (eth0 by default).
        api().body("{\"name\": \"alloc-d\", \"subnet\": \"172.31.7.0/24\", \"vni\": 777}").post("/api/v1/networks").then().statusCode(201)
                .body("subnet", equalTo("172.31.7.0/24")).body("vni", equalTo(777));
        api().body("{\"name\": \"alloc-e\", \"type\": \"EXTERNAL\"}").post("/api/v1/networks").then().statusCode(201)
                .body("pif", equalTo("eth0")).body("vni", nullValue()).body("subnet", nullValue());
        for (String n : List.of("alloc-a", "alloc-b", "alloc-d", "alloc-e")) {
            api().delete("/api/v1/networks/" + uuidOf(n)).then().statusCode(204);
        }
    }

    @Test
    void vifsOnNetworksKeepTheirMacsAndBlockTheNetworksDeletion() throws Exception {
        String net = api().body("{\"name\": \"vif-net\"}").post("/api/v1/networks").then().statusCode(201).extract().path("uuid");
        api().body("""
                {"name": "vif-vm-x", "memoryMiB": 64, "nics": [{"network": "no-such-network"}]}""").post("/api/v1/vms").then()
                .statusCode(404).body("code", equalTo("NETWORK_NOT_FOUND")).body("message", containsString("no-such-network"));
        JsonPath vm = api().body("""
                {"name": "vif-vm", "memoryMiB": 64, "nics": [{"network": "vif-net", "rateKbit": 10000}]}""").post("/api/v1/vms").then()
                .statusCode(201).extract().jsonPath();
        String uuid = vm.getString("uuid");
        assertThat(vm.getString("nics[0].mode")).isEqualTo("NETWORK");
        assertThat(vm.getString("nics[0].network")).isEqualTo(net);
        assertThat(vm.getInt("nics[0].rateKbit")).isEqualTo(10000);
        String mac = vm.getString("nics[0].mac");
        assertThat(mac).matches("52:54:00(:[0-9a-f]{2}){3}");
        assertThat(vm.getList("addresses")).isEmpty();
        // The MAC is kept; another VIF may not take it.
        api().get("/api/v1/vms/" + uuid).then().body("nics[0].mac", equalTo(mac));
        api().body("{\"network\": \"" + net + "\", \"mac\": \"" + mac + "\"}").post("/api/v1/vms/" + uuid + "/vifs").then().statusCode(409)
                .body("code", equalTo("VIF_TAKEN")).body("message", containsString("vif-vm"));
        api().body("{\"network\": \"nowhere\"}").post("/api/v1/vms/" + uuid + "/vifs").then().statusCode(404)
                .body("code", equalTo("NETWORK_NOT_FOUND"));
        // Plugged into the halted VM: recorded (task), a MAC of its own; audited as the VM's.
        long audit = io.atoll.master.testing.Api.lastAuditId();
        long token = api().get("/api/v1/events").then().extract().jsonPath().getLong("token");
        String plug = api().body("{\"network\": \"vif-net\"}").post("/api/v1/vms/" + uuid + "/vifs").then().statusCode(202)
                .extract().path("uuid");
        JsonPath plugged = succeeded(plug, TASK);
        assertThat(plugged.getString("result.nics[1].id")).isEqualTo("nic1");
        assertThat(plugged.getString("result.nics[1].mac")).isNotEqualTo(mac).matches("52:54:00(:[0-9a-f]{2}){3}");
        api().get("/api/v1/vms/" + uuid).then().body("allowedOperations", equalTo(List.of("start", "destroy", "snapshot", "clone", "revert")));
        // The plug is a change of the VM: a mod event with the VM's new NICs.
        JsonPath events = api().get("/api/v1/events?from=" + token + "&timeout=0&limit=100").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> mods = events.getList("events.findAll { it.ref == '" + uuid + "' && it.operation == 'mod' }.snapshot");
        assertThat(mods).anySatisfy(vmNow -> assertThat((List<?>) vmNow.get("nics")).hasSize(2));
        List<Map<String, Object>> records = api().get("/api/v1/audit?after=" + audit + "&limit=1000").then().extract().jsonPath().getList("");
        assertThat(records.stream().map(r -> r.get("role") + " " + r.get("method") + " " + r.get("path") + " " + r.get("object") + " "
                + r.get("status")).toList()).contains("pool-admin POST /api/v1/vms/" + uuid + "/vifs vm " + uuid + " 202");

        // The network cannot go while VIFs use it.
        api().delete("/api/v1/networks/" + net).then().statusCode(409).body("code", equalTo("NETWORK_IN_USE"))
                .body("message", containsString("vif-vm"));
        api().delete("/api/v1/vms/" + uuid + "/vifs/nic7").then().statusCode(404).body("code", equalTo("VIF_NOT_FOUND"));
        succeeded(api().delete("/api/v1/vms/" + uuid + "/vifs/nic1").then().statusCode(202).extract().path("uuid"), TASK);
        succeeded(api().delete("/api/v1/vms/" + uuid + "/vifs/nic0").then().statusCode(202).extract().path("uuid"), TASK);
        api().get("/api/v1/vms/" + uuid).then().body("nics", equalTo(List.of()));
        api().delete("/api/v1/networks/" + net).then().statusCode(204);
        succeeded(api().delete("/api/v1/vms/" + uuid).then().statusCode(202).extract().path("uuid"), TASK);
    }

    @Test
    void realisingGivesEachHostItsSliceAndPeersBothWays() throws Exception {
        try (FakeAgent agentA = FakeAgent.start(UUID.randomUUID(), AGENT_TOKEN); FakeAgent agentB = FakeAgent.start(UUID.randomUUID(), AGENT_TOKEN)) {
            UUID hostA = UUID.fromString(api().body(Map.of("agentUrl", agentA.url(), "agentToken", AGENT_TOKEN)).post("/api/v1/hosts").then()
                    .statusCode(201).extract().path("uuid"));
            UUID hostB = UUID.fromString(api().body(Map.of("agentUrl", agentB.url(), "agentToken", AGENT_TOKEN)).post("/api/v1/hosts").then()
                    .statusCode(201).extract().path("uuid"));
            try {
                UUID net = UUID.fromString(api().body("{\"name\": \"realised\", \"subnet\": \"10.77.3.0/24\"}").post("/api/v1/networks")
                        .then().statusCode(201).extract().path("uuid"));
                realiser.realise(hostA, List.of(net));
                realiser.realise(hostB, List.of(net));
                // A got its spec (no peers yet), then B's arrival as a peer; B got A as its peer.
                JsonNode first = agentA.networkPuts.get(0).getValue();
                assertThat(first.path("vni").asInt()).isGreaterThanOrEqualTo(5000);
                assertThat(first.path("localAddress").asText()).isEqualTo("127.0.0.1");
                assertThat(first.path("peers").size()).isZero();
                JsonNode specA = last(agentA);
                JsonNode specB = last(agentB);
                assertThat(specA.path("peers").get(0).asText()).isEqualTo("127.0.0.1");
                assertThat(specB.path("peers").size()).isEqualTo(1);
                // Disjoint DHCP slices, the hosts' addresses outside them.
                JsonNode dhcpA = specA.path("dhcp");
                JsonNode dhcpB = specB.path("dhcp");
                assertThat(dhcpA.path("hostAddress").asText()).isEqualTo("10.77.3.1/24");
                assertThat(dhcpB.path("hostAddress").asText()).isEqualTo("10.77.3.2/24");
                assertThat(dhcpA.path("rangeStart").asText()).isEqualTo("10.77.3.17");
                assertThat(dhcpA.path("rangeEnd").asText()).isEqualTo("10.77.3.30");
                assertThat(dhcpB.path("rangeStart").asText()).isEqualTo("10.77.3.31");
                api().get("/api/v1/networks/" + net).then().body("hosts.size()", equalTo(2)).body("hosts.realised", equalTo(List.of(true, true)))
                        .body("hosts.hostAddress", hasItem("10.77.3.2/24"));
                // Realising again asks the same (idempotent on the host), and tells no one else.
                int putsB = agentB.networkPuts.size();
                realiser.realise(hostA, List.of(net));
                assertThat(last(agentA)).isEqualTo(specA);
                assertThat(agentB.networkPuts).hasSize(putsB);

                // A host that lost the network, or holds it with other peers, gets it back at the next polls.
                agentB.networks.remove(net.toString());
                com.fasterxml.jackson.databind.node.ObjectNode withoutPeers = specA.deepCopy();
                withoutPeers.putArray("peers");
                agentA.networks.put(net.toString(), withoutPeers);
                Api.await("both hosts have the network as the pool says again", Duration.ofSeconds(20), () ->
                        specB.equals(agentB.networks.get(net.toString())) && specA.equals(agentA.networks.get(net.toString())));

                // A VLAN network: the host's refusal is passed on with the network named.
                UUID vlan = UUID.fromString(api().body("{\"name\": \"tagged\", \"type\": \"VLAN\", \"pif\": \"eth1\", \"vlan\": 42}")
                        .post("/api/v1/networks").then().statusCode(201).extract().path("uuid"));
                assertThatThrownBy(() -> realiser.realise(hostA, List.of(vlan))).isInstanceOfSatisfying(MasterException.class, e -> {
                    assertThat(e.code()).isEqualTo(MasterErrorCode.NETWORK_NOT_SUPPORTED);
                    assertThat(e.getMessage()).contains("network " + vlan + " (tagged)").contains("802.1q").contains("PRIVATE");
                });
                api().get("/api/v1/networks/" + vlan).then().body("hosts[0].realised", equalTo(false))
                        .body("hosts[0].reason", containsString("8021q"));
                // A host names its own PIF for an EXTERNAL/VLAN network.
                api().body("{\"pif\": \"eth7\"}").put("/api/v1/networks/" + vlan + "/hosts/" + hostB).then().statusCode(200);
                assertThatThrownBy(() -> realiser.realise(hostB, List.of(vlan))).isInstanceOf(MasterException.class);
                assertThat(agentB.networkPuts.get(agentB.networkPuts.size() - 1).getValue().path("pif").asText()).isEqualTo("eth7");

                // Destroy removes it from both hosts.
                api().delete("/api/v1/networks/" + net).then().statusCode(204);
                assertThat(agentA.networks).doesNotContainKey(net.toString());
                assertThat(agentB.networks).doesNotContainKey(net.toString());
                api().delete("/api/v1/networks/" + vlan).then().statusCode(204);

                // A host ejected while it has a network: its entry (and slice) goes with it.
                UUID kept = UUID.fromString(api().body("{\"name\": \"kept\"}").post("/api/v1/networks").then().statusCode(201).extract().path("uuid"));
                realiser.realise(hostA, List.of(kept));
                realiser.realise(hostB, List.of(kept));
                api().delete("/api/v1/hosts/" + hostB).then().statusCode(204);
                api().get("/api/v1/networks/" + kept).then().body("hosts.host", equalTo(List.of(hostA.toString())));
                api().delete("/api/v1/networks/" + kept).then().statusCode(204);
            } finally {
                api().delete("/api/v1/hosts/" + hostA);
                api().delete("/api/v1/hosts/" + hostB);
            }
        }
    }

    private static JsonNode last(FakeAgent agent) {
        return agent.networkPuts.get(agent.networkPuts.size() - 1).getValue();
    }

    private static String uuidOf(String name) {
        return api().get("/api/v1/networks").then().extract().jsonPath().getString("find { it.name == '" + name + "' }.uuid");
    }
}
