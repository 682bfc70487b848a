package io.atoll.agent;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

import io.atoll.guests.TestGuests;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The agent's network API in process, its network commands in a namespace of the test's own:
 * realise, converge, list and remove a private network; and the refusals — bad names, an unknown
 * network, a VLAN network on a kernel without 802.1q, NIC operations on a VM that cannot take them.
 */
@QuarkusTest
@QuarkusTestResource(value = NetworkNamespace.class, restrictToAnnotatedClass = true)
class NetworkApiTest {

    private static String privateNetwork(String bridge) {
        return """
                {"bridge": "%s", "type": "PRIVATE", "vni": 5001, "localAddress": "%s", "peers": ["192.168.233.2"],
                 "dhcp": {"hostAddress": "10.99.0.1/24", "rangeStart": "10.99.0.10", "rangeEnd": "10.99.0.99"}}
                """.formatted(bridge, NetworkNamespace.ADDRESS);
    }

    @Test
    void aPrivateNetworkIsRealisedConvergedListedAndRemoved() {
        String uuid = UUID.randomUUID().toString();
        long pid = given().contentType(ContentType.JSON).body(privateNetwork("br-api")).put("/api/v1/networks/" + uuid)
                .then().statusCode(200).body("mtu", equalTo(1450)).body("tunnel", equalTo("vx5001"))
                .body("dhcpPid", notNullValue()).extract().jsonPath().getLong("dhcpPid");
        // Again: nothing changes, the same DHCP server serves on.
        given().contentType(ContentType.JSON).body(privateNetwork("br-api")).put("/api/v1/networks/" + uuid)
                .then().statusCode(200).body("dhcpPid", equalTo((int) pid));
        given().get("/api/v1/networks").then().statusCode(200).body("uuid", hasItem(uuid));
        given().get("/api/v1/networks/" + uuid).then().statusCode(200).body("spec.peers", hasItem("192.168.233.2"))
                .body("vifs", empty());
        // Another network may not take its bridge.
        given().contentType(ContentType.JSON).body(privateNetwork("br-api")).put("/api/v1/networks/" + UUID.randomUUID())
                .then().statusCode(409).body("code", equalTo("NETWORK_IN_USE"));
        given().delete("/api/v1/networks/" + uuid).then().statusCode(204);
        given().get("/api/v1/networks/" + uuid).then().statusCode(404).body("code", equalTo("NETWORK_NOT_FOUND"));
        given().get("/api/v1/networks").then().body("uuid", not(hasItem(uuid)));
    }

    @Test
    void aVlanNetworkIsRefusedWithTheReason() {
        given().contentType(ContentType.JSON).body("""
                {"bridge": "br-vlan", "type": "VLAN", "pif": "pif0", "vlan": 42}""")
                .put("/api/v1/networks/" + UUID.randomUUID())
                .then().statusCode(409).body("code", equalTo("NETWORK_NOT_SUPPORTED"))
                .body("message", containsString("802.1q")).body("message", containsString("PRIVATE (VXLAN)"));
    }

    @Test
    void badSpecsAndUnknownNetworksAreRefused() {
        String uuid = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body(privateNetwork("a-bridge-name-too-long")).put("/api/v1/networks/" + uuid)
                .then().statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("1-15"));
        given().contentType(ContentType.JSON).body("""
                {"bridge": "br-x", "type": "PRIVATE", "localAddress": "192.168.233.1"}""").put("/api/v1/networks/" + uuid)
                .then().statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("vni"));
        given().contentType(ContentType.JSON).body("""
                {"bridge": "br-x", "type": "PRIVATE", "vni": 7, "localAddress": "10.1.2.3"}""").put("/api/v1/networks/" + uuid)
                .then().statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("not an address of this host"));
        given().contentType(ContentType.JSON).body("""
                {"bridge": "br-x", "type": "EXTERNAL"}""").put("/api/v1/networks/" + uuid)
                .then().statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("'pif'"));
        given().contentType(ContentType.JSON).body("""
                {"bridge": "br-x", "type": "PRIVATE", "vni": 7, "localAddress": "192.168.233.1",
                 "dhcp": {"hostAddress": "10.99.0.50/24", "rangeStart": "10.99.0.10", "rangeEnd": "10.99.0.99"}}""")
                .put("/api/v1/networks/" + uuid)
                .then().statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("outside its range"));
        given().get("/api/v1/networks/" + uuid).then().statusCode(404).body("code", equalTo("NETWORK_NOT_FOUND"));
        given().delete("/api/v1/networks/" + uuid).then().statusCode(404).body("code", equalTo("NETWORK_NOT_FOUND"));
    }

    @Test
    void aVmOnAnUnknownNetworkDoesNotStartAndAHaltedVmTakesNoHotPlug() throws Exception {
        Path disk = Files.createTempFile(Path.of("/tmp"), "atoll-net-api-", ".img");
        try {
            Files.copy(TestGuests.counterImage(), disk, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            UUID network = UUID.randomUUID();
            String vm = given().contentType(ContentType.JSON).body("""
                    {"name": "netless", "vcpus": 1, "memoryMiB": 32,
                     "disks": [{"id": "disk0", "format": "raw", "bootIndex": 0, "source": {"driver": "file", "filename": "%s"}}],
                     "nics": [{"id": "nic0", "mode": "NETWORK", "network": "%s", "rateKbit": 10000}]}
                    """.formatted(disk, network)).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
            given().post("/api/v1/vms/" + vm + "/start").then().statusCode(404).body("code", equalTo("NETWORK_NOT_FOUND"))
                    .body("message", containsString(network.toString()));
            given().get("/api/v1/vms/" + vm).then().body("powerState", equalTo("HALTED")).body("pid", equalTo(null));

            given().contentType(ContentType.JSON).body("""
                    {"id": "nic1", "mode": "NETWORK", "network": "%s"}""".formatted(network))
                    .post("/api/v1/vms/" + vm + "/nics").then().statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"));
            given().contentType(ContentType.JSON).body("""
                    {"id": "nic1", "mode": "NETWORK"}""")
                    .post("/api/v1/vms/" + vm + "/nics").then().statusCode(400).body("code", equalTo("INVALID_SPEC"))
                    .body("message", containsString("needs 'network'"));
            given().delete("/api/v1/vms/" + vm + "/nics/nic0").then().statusCode(409).body("code", equalTo("OPERATION_NOT_ALLOWED"));
            given().delete("/api/v1/vms/" + vm).then().statusCode(204);
        } finally {
            Files.deleteIfExists(disk);
        }
    }
}
