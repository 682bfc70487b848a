package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code atoll host …}: the pool's hosts, by name or uuid. */
@Command(name = "host", description = "List, join, eject, enable and disable hosts (by name or uuid).")
public final class HostCommand {
    @ParentCommand
    Atoll atoll;

    @Command(name = "list", description = "The pool's hosts.")
    int list() {
        JsonNode hosts = atoll.client().get("/api/v1/hosts");
        atoll.print(hosts, atoll.json() ? "" : table(hosts));
        return 0;
    }

    static String table(JsonNode hosts) {
        Table t = new Table("UUID", "NAME", "ADDRESS", "ENABLED", "HEALTH", "CPUS", "MEMORY", "FREE-FOR-VMS", "ACCEL");
        for (JsonNode h : hosts) {
            String health = h.path("health").asText();
            if (h.hasNonNull("healthReason")) {
                health += " (" + h.path("healthReason").asText() + ")";
            }
            t.row(h.path("uuid").asText(), Output.text(h.path("name")), Output.text(h.path("address")), h.path("enabled").asText(), health,
                    h.path("cpuCount").asText(), Output.bytes(h.path("memoryTotalBytes").asLong(-1)),
                    Output.bytes(h.path("memoryFreeForVmsBytes").asLong(-1)), Output.text(h.path("accelerator")));
        }
        return t.render();
    }

    @Command(name = "show", description = "One host, every field.")
    int show(@Parameters(paramLabel = "HOST", description = "Name or uuid.") String host) {
        JsonNode found = resolve(atoll.client(), host);
        atoll.print(found, Output.keyValues(found));
        return 0;
    }

    /** The agent's token: on the command line (visible in ps) or, better, from its file. */
    static final class AgentToken {
        @Option(names = "--agent-token-file", paramLabel = "FILE", description = "The agent's token file (copied from the host).")
        Path file;
        @Option(names = "--agent-token", paramLabel = "TOKEN", description = "The agent's token (prefer --agent-token-file: ps shows arguments).")
        String value;
    }

    @Command(name = "join", description = "Join a host whose node agent answers at ADDRESS (port 7401) or URL; prints its uuid.")
    int join(@Parameters(paramLabel = "ADDRESS|URL", description = "10.0.0.5 or http://10.0.0.5:7401") String where,
             @ArgGroup(exclusive = true) AgentToken token) {
        ObjectNode body = joinRequest(where, token == null ? null : token.value, token == null ? null : token.file);
        JsonNode host = atoll.client().post("/api/v1/hosts", body);
        atoll.print(host, host.path("uuid").asText() + "\n");
        return 0;
    }

    static ObjectNode joinRequest(String where, String token, Path tokenFile) {
        ObjectNode body = MasterClient.JSON.createObjectNode();
        body.put(where.contains("://") ? "agentUrl" : "address", where);
        String agentToken = token;
        if (tokenFile != null) {
            try {
                agentToken = Files.readString(tokenFile).strip();
            } catch (IOException e) {
                throw CliException.local("TOKEN_FILE_UNREADABLE", "cannot read the agent token " + tokenFile + ": " + e.getMessage());
            }
        }
        if (agentToken != null) {
            body.put("agentToken", agentToken);
        }
        return body;
    }

    @Command(name = "eject", description = "Remove a host from the pool (refused while VMs are resident on it).")
    int eject(@Parameters(paramLabel = "HOST") String host) {
        MasterClient client = atoll.client();
        client.delete("/api/v1/hosts/" + resolve(client, host).path("uuid").asText());
        return 0;
    }

    @Command(name = "enable", description = "Let placement start VMs on the host again.")
    int enable(@Parameters(paramLabel = "HOST") String host) {
        return setEnabled(host, "enable");
    }

    @Command(name = "disable", description = "Place no new VMs on the host (those running stay).")
    int disable(@Parameters(paramLabel = "HOST") String host) {
        return setEnabled(host, "disable");
    }

    private int setEnabled(String host, String action) {
        MasterClient client = atoll.client();
        JsonNode changed = client.post("/api/v1/hosts/" + resolve(client, host).path("uuid").asText() + "/" + action, null);
        atoll.print(changed, "");
        return 0;
    }

    /** A host by uuid, else by name; two hosts of one name must be named by uuid. */
    static JsonNode resolve(MasterClient client, String ref) {
        if (VmCommand.isUuid(ref)) {
            return client.get("/api/v1/hosts/" + ref);
        }
        List<JsonNode> matches = new ArrayList<>();
        for (JsonNode h : client.get("/api/v1/hosts")) {
            if (ref.equals(h.path("name").asText(null)) || ref.equals(h.path("address").asText(null))) {
                matches.add(h);
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw CliException.refused("HOST_NOT_FOUND", "no host is named '" + ref + "' (atoll host list shows them)", "host " + ref);
        }
        throw CliException.refused("HOST_NAME_AMBIGUOUS", matches.size() + " hosts are named '" + ref + "': give the uuid ("
                + String.join(", ", matches.stream().map(h -> h.path("uuid").asText()).toList()) + ")", "host " + ref);
    }
}
