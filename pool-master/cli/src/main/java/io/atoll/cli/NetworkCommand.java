package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code atoll network …}: the pool's networks, by name or uuid. */
@Command(name = "network", description = "Networks: create, list, show, destroy.")
public final class NetworkCommand {
    static final String PATH = "/api/v1/networks";

    @ParentCommand
    Atoll atoll;

    @Command(name = "list", description = "The pool's networks.")
    int list() {
        JsonNode networks = atoll.client().get(PATH);
        atoll.print(networks, table(networks));
        return 0;
    }

    static String table(JsonNode networks) {
        Table t = new Table("UUID", "NAME", "TYPE", "BRIDGE", "VNI/VLAN", "SUBNET/PIF", "HOSTS");
        for (JsonNode n : networks) {
            String type = n.path("type").asText();
            long realised = 0;
            for (JsonNode h : n.path("hosts")) {
                realised += h.path("realised").asBoolean() ? 1 : 0;
            }
            t.row(n.path("uuid").asText(), Output.text(n.path("name")), type, Output.text(n.path("bridge")),
                    "PRIVATE".equals(type) ? Output.text(n.path("vni")) : Output.text(n.path("vlan")),
                    "PRIVATE".equals(type) ? Output.text(n.path("subnet")) : Output.text(n.path("pif")), String.valueOf(realised));
        }
        return t.render();
    }

    @Command(name = "show", description = "One network, every field (with each host's DHCP slice).")
    int show(@Parameters(paramLabel = "NETWORK", description = "Name or uuid.") String network) {
        JsonNode found = resolve(atoll.client(), network);
        atoll.print(found, Output.keyValues(found));
        return 0;
    }

    @Command(name = "create", description = {"Create a network; prints its uuid.",
            "PRIVATE (default): a VXLAN overlay across the hosts, with a free VNI and subnet unless given, DHCP from each host's slice;",
            "EXTERNAL: a bridge on a physical interface (--pif, eth0 by default); VLAN: --pif and --vlan."})
    int create(@Parameters(paramLabel = "NAME") String name,
               @Option(names = "--type", paramLabel = "private|external|vlan", description = "What joins the bridge to the world (default private).") String type,
               @Option(names = "--subnet", paramLabel = "CIDR", description = "PRIVATE: the guests' subnet, e.g. 10.128.3.0/24.") String subnet,
               @Option(names = "--vni", paramLabel = "N", description = "PRIVATE: the VXLAN id (unique in the pool).") Integer vni,
               @Option(names = "--no-dhcp", description = "PRIVATE: no DHCP service on the hosts.") boolean noDhcp,
               @Option(names = "--pif", paramLabel = "IFNAME", description = "EXTERNAL, VLAN: the physical interface.") String pif,
               @Option(names = "--vlan", paramLabel = "TAG", description = "VLAN: the 802.1q tag.") Integer vlan,
               @Option(names = "--bridge", paramLabel = "NAME", description = "The bridge's name on the hosts (xapiN by default).") String bridge,
               @Option(names = "--mtu", paramLabel = "N", description = "The MTU (default: the hosts').") Integer mtu,
               @Option(names = "--description", paramLabel = "TEXT") String description) {
        JsonNode created = atoll.client().post(PATH, createRequest(name, type, subnet, vni, noDhcp, pif, vlan, bridge, mtu, description));
        atoll.print(created, created.path("uuid").asText() + "\n");
        return 0;
    }

    /** The body of {@code POST /api/v1/networks}; the server checks the values. */
    static ObjectNode createRequest(String name, String type, String subnet, Integer vni, boolean noDhcp, String pif, Integer vlan, String bridge,
                                    Integer mtu, String description) {
        ObjectNode body = MasterClient.JSON.createObjectNode().put("name", name);
        if (type != null) {
            body.put("type", type.toUpperCase(Locale.ROOT));
        }
        if (subnet != null) {
            body.put("subnet", subnet);
        }
        if (vni != null) {
            body.put("vni", vni);
        }
        if (noDhcp) {
            body.put("dhcp", false);
        }
        if (pif != null) {
            body.put("pif", pif);
        }
        if (vlan != null) {
            body.put("vlan", vlan);
        }
        if (bridge != null) {
            body.put("bridge", bridge);
        }
        if (mtu != null) {
            body.put("mtu", mtu);
        }
        if (description != null) {
            body.put("description", description);
        }
        return body;
    }

    @Command(name = "destroy", description = "Destroy a network (refused while VIFs use it); removed from every host that has it.")
    int destroy(@Parameters(paramLabel = "NETWORK") String network) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, network).path("uuid").asText();
        client.delete(PATH + "/" + uuid);
        atoll.print(MasterClient.JSON.createObjectNode().put("uuid", uuid), "");
        return 0;
    }

    /** A network by uuid, else by its name (unique in the pool). */
    static JsonNode resolve(MasterClient client, String ref) {
        if (VmCommand.isUuid(ref)) {
            return client.get(PATH + "/" + ref);
        }
        for (JsonNode n : client.get(PATH)) {
            if (ref.equals(n.path("name").asText(null))) {
                return n;
            }
        }
        throw CliException.refused("NETWORK_NOT_FOUND", "no network is named '" + ref + "' (atoll network list shows them)", "network " + ref);
    }
}
