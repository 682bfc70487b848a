package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code atoll sr …}: storage repositories, by name or uuid. */
@Command(name = "sr", description = "Storage repositories: list, create, attach, detach, scan, destroy.")
public final class SrCommand {
    static final String PATH = "/api/v1/srs";

    @ParentCommand
    Atoll atoll;

    @Command(name = "list", description = "The pool's storage repositories.")
    int list() {
        JsonNode srs = atoll.client().get(PATH);
        atoll.print(srs, table(srs));
        return 0;
    }

    static String table(JsonNode srs) {
        Table t = new Table("UUID", "NAME", "TYPE", "SHARED", "SIZE", "USED", "ATTACHED");
        for (JsonNode sr : srs) {
            long attached = 0;
            for (JsonNode a : sr.path("attachments")) {
                attached += a.path("attached").asBoolean() ? 1 : 0;
            }
            t.row(sr.path("uuid").asText(), Output.text(sr.path("name")), Output.text(sr.path("type")), Output.text(sr.path("shared")),
                    Output.bytes(sr.path("physicalSize").asLong()), Output.bytes(sr.path("physicalUtilisation").asLong()),
                    attached + "/" + sr.path("attachments").size());
        }
        return t.render();
    }

    @Command(name = "show", description = "One repository, every field.")
    int show(@Parameters(paramLabel = "SR") String sr) {
        JsonNode found = resolve(atoll.client(), sr);
        atoll.print(found, Output.keyValues(found));
        return 0;
    }

    @Command(name = "create", description = {"Create a storage repository; prints its uuid.",
            "e.g. atoll sr create local0 --type local --config path=/srv/atoll/sr0 --host h1;",
            "atoll sr create nas --type nfs --config server=10.0.0.9 --config export=/vms"})
    int create(@Parameters(paramLabel = "NAME") String name,
               @Option(names = "--type", required = true, paramLabel = "TYPE", description = "The adapter type (local, nfs, lvm, iscsi…).") String type,
               @Option(names = "--config", paramLabel = "KEY=VALUE", description = "A device-config entry (repeatable).") Map<String, String> config,
               @Option(names = "--host", paramLabel = "HOST", description = "The host it lives on (required for local storage in a pool of several hosts).") String host,
               @Option(names = "--introduce", paramLabel = "UUID", description = "Introduce the existing repository with this uuid instead of creating one.") String introduce) {
        MasterClient client = atoll.client();
        ObjectNode body = MasterClient.JSON.createObjectNode().put("name", name).put("type", type);
        ObjectNode dc = body.putObject("deviceConfig");
        if (config != null) {
            config.forEach(dc::put);
        }
        if (host != null) {
            body.put("host", HostCommand.resolve(client, host).path("uuid").asText());
        }
        if (introduce != null) {
            body.put("create", false).put("uuid", introduce);
        }
        JsonNode sr = client.post(PATH, body);
        atoll.print(sr, sr.path("uuid").asText() + "\n");
        return 0;
    }

    @Command(name = "attach", description = "Attach a repository on a host.")
    int attach(@Parameters(index = "0", paramLabel = "SR") String sr, @Parameters(index = "1", paramLabel = "HOST") String host) {
        return onHost(sr, host, "attach");
    }

    @Command(name = "detach", description = "Detach a repository from a host (refused while VMs there use it).")
    int detach(@Parameters(index = "0", paramLabel = "SR") String sr, @Parameters(index = "1", paramLabel = "HOST") String host) {
        return onHost(sr, host, "detach");
    }

    private int onHost(String sr, String host, String action) {
        MasterClient client = atoll.client();
        ObjectNode body = MasterClient.JSON.createObjectNode().put("host", HostCommand.resolve(client, host).path("uuid").asText());
        JsonNode done = client.post(PATH + "/" + resolve(client, sr).path("uuid").asText() + "/" + action, body);
        atoll.print(done, Output.keyValues(done));
        return 0;
    }

    @Command(name = "scan", description = "Re-read a repository's disks and space.")
    int scan(@Parameters(paramLabel = "SR") String sr) {
        MasterClient client = atoll.client();
        JsonNode done = client.post(PATH + "/" + resolve(client, sr).path("uuid").asText() + "/scan", null);
        atoll.print(done, Output.keyValues(done));
        return 0;
    }

    @Command(name = "destroy", description = "Destroy a repository and its data (refused while VMs use its disks); --forget keeps the data.")
    int destroy(@Parameters(paramLabel = "SR") String sr,
                @Option(names = "--forget", description = "Only remove it from the pool; its data stays for a later --introduce.") boolean forget) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, sr).path("uuid").asText();
        client.delete(PATH + "/" + uuid + "?destroyData=" + !forget);
        atoll.print(MasterClient.JSON.createObjectNode().put("uuid", uuid), "");
        return 0;
    }

    /** A repository by uuid, else by its name (unique in the pool). */
    static JsonNode resolve(MasterClient client, String ref) {
        if (VmCommand.isUuid(ref)) {
            return client.get(PATH + "/" + ref);
        }
        for (JsonNode sr : client.get(PATH)) {
            if (ref.equals(sr.path("name").asText(null))) {
                return sr;
            }
        }
        throw CliException.refused("SR_NOT_FOUND", "no storage repository is named '" + ref + "' (atoll sr list shows them)", "sr " + ref);
    }
}
