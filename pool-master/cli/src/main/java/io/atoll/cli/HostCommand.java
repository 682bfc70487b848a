package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
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
@Command(name = "host", description = "List, join, eject, enable, disable and evacuate hosts (by name or uuid).")
public final class HostCommand {
    /** The node agent's port unless configured otherwise ({@code quarkus.http.port} in its application.properties). */
    static final int AGENT_PORT = 7401;
    /**
     * The environment variable that sets the agent's {@code atoll.agent.token-file}: when the agent
     * is configured through it, {@code host join --master} reads the same file. The agent has no
     * default token file (unset, its API is open), so neither has the CLI.
     */
    static final String AGENT_TOKEN_FILE_ENV = "ATOLL_AGENT_TOKEN_FILE";

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
        @Option(names = "--agent-token-file", paramLabel = "FILE", description = "The agent's token file (atoll.agent.token-file; "
                + "with --master default $" + AGENT_TOKEN_FILE_ENV + ").")
        Path file;
        @Option(names = "--agent-token", paramLabel = "TOKEN", description = "The agent's token (prefer --agent-token-file: ps shows arguments).")
        String value;
    }

    @Command(name = "join", description = {
            "Join a host; prints its uuid. Two ways:",
            "  atoll host join ADDRESS|URL [--agent-token-file F]   a pool-admin joins the host whose agent answers there",
            "  atoll host join --master URL --token JOINTOKEN      run on the host itself: joins it with a join token",
            "                                                      (atoll pool join-token create), no login needed"})
    int join(@Parameters(paramLabel = "ADDRESS|URL", arity = "0..1", description = "10.0.0.5 or http://10.0.0.5:7401 (a pool-admin's join)")
             String where,
             @Option(names = "--master", paramLabel = "URL", description = "The pool master to join (with --token JOINTOKEN), e.g. http://10.0.0.2:7400.")
             String master,
             @Option(names = "--agent-url", paramLabel = "URL", description = "With --master: where the master reaches this host's agent "
                     + "(default http://ADDRESS:" + AGENT_PORT + ", ADDRESS being this host's address on the way to the master).")
             String agentUrl,
             @ArgGroup(exclusive = true) AgentToken token) {
        String agentToken = token == null ? null : token.value;
        Path agentTokenFile = token == null ? null : token.file;
        if (master == null) {
            if (where == null) {
                throw usage("give ADDRESS|URL (a pool-admin joins that host) or --master URL --token JOINTOKEN (run on the host that joins)");
            }
            if (agentUrl != null) {
                throw usage("--agent-url goes with --master (a host joining itself); a pool-admin gives the agent's URL as ADDRESS|URL");
            }
            JsonNode host = atoll.client().post("/api/v1/hosts", joinRequest(where, agentToken, agentTokenFile));
            atoll.print(host, host.path("uuid").asText() + "\n");
            return 0;
        }
        if (where != null) {
            throw usage("give ADDRESS|URL (a pool-admin's join) or --master (run on the host that joins), not both");
        }
        URI masterUrl = Atoll.parseServer(master);
        String joinToken = atoll.token;
        if (joinToken == null || joinToken.isBlank()) {
            throw usage("--master needs --token JOINTOKEN: a pool-admin makes one with atoll pool join-token create");
        }
        if (joinToken.startsWith("atl_")) {
            throw usage("--token holds a user's token (atl_…); joining needs a join token (atj_…) from atoll pool join-token create");
        }
        if (agentToken == null && agentTokenFile == null) {
            String fromEnv = atoll.context().env().get(AGENT_TOKEN_FILE_ENV);
            agentTokenFile = fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
        }
        ObjectNode body = tokenJoinRequest(joinToken, agentUrl != null ? agentUrl : defaultAgentUrl(masterUrl), agentToken, agentTokenFile);
        // Anonymous: the join token is the credential; no user token is sent, whatever atoll login stored.
        JsonNode host = new MasterClient(masterUrl, null).post("/api/v1/hosts/join", body);
        atoll.print(host, host.path("uuid").asText() + "\n");
        return 0;
    }

    /** The body of {@code POST /api/v1/hosts/join}. */
    static ObjectNode tokenJoinRequest(String joinToken, String agentUrl, String agentToken, Path agentTokenFile) {
        ObjectNode body = MasterClient.JSON.createObjectNode();
        body.put("joinToken", joinToken);
        body.setAll(joinRequest(agentUrl.contains("://") ? agentUrl : "http://" + agentUrl, agentToken, agentTokenFile));
        return body;
    }

    /**
     * {@code http://ADDRESS:7401}, ADDRESS being the address this host sends from towards the master
     * (the kernel's route choice; a connected UDP socket sends nothing), which is the one the master
     * most likely reaches it at. A master on loopback gives a loopback address.
     */
    static String defaultAgentUrl(URI master) {
        int port = master.getPort() != -1 ? master.getPort() : "https".equals(master.getScheme()) ? 443 : 80;
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(InetAddress.getByName(master.getHost()), port);
            InetAddress local = probe.getLocalAddress();
            if (local == null || local.isAnyLocalAddress()) {
                throw CliException.refused("NO_ROUTE", "this host has no route to the master at " + master + ": give --agent-url", null);
            }
            String address = local.getHostAddress().replaceFirst("%.*$", "");
            return "http://" + (local instanceof Inet6Address ? "[" + address + "]" : address) + ":" + AGENT_PORT;
        } catch (UnknownHostException e) {
            throw new CliException("SERVER_UNREACHABLE", "cannot reach the pool master at " + master + ": unknown host " + master.getHost(),
                    null, CliException.UNREACHABLE);
        } catch (IOException e) {
            throw CliException.refused("NO_ROUTE", "cannot tell this host's address towards the master at " + master + " (" + e.getMessage()
                    + "): give --agent-url", null);
        }
    }

    private static CliException usage(String message) {
        return new CliException("USAGE", message, null, Atoll.USAGE);
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

    @Command(name = "evacuate", description = "Maintenance mode: disable the host and live-migrate its running VMs to other hosts.")
    int evacuate(@Parameters(paramLabel = "HOST") String host,
                 @Option(names = "--batch", paramLabel = "N", description = "Migrations at once (default 2).") Integer batch,
                 @Option(names = "--async") boolean async) {
        MasterClient client = atoll.client();
        ObjectNode body = MasterClient.JSON.createObjectNode();
        if (batch != null) {
            body.put("batch", batch);
        }
        return atoll.task(client.post("/api/v1/hosts/" + resolve(client, host).path("uuid").asText() + "/evacuate", body), async, client);
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
