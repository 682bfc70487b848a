package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code atoll vdi …}: virtual disks, by uuid. */
@Command(name = "vdi", description = "Virtual disks: list, create, resize, destroy.")
public final class VdiCommand {
    static final String PATH = "/api/v1/vdis";

    @ParentCommand
    Atoll atoll;

    @Command(name = "list", description = "The pool's virtual disks and snapshots (--sr: of one repository).")
    int list(@Option(names = "--sr", paramLabel = "SR") String sr) {
        MasterClient client = atoll.client();
        JsonNode vdis = client.get(PATH + (sr == null ? "" : "?sr=" + SrCommand.resolve(client, sr).path("uuid").asText()));
        Table t = new Table("UUID", "NAME", "SR", "SIZE", "USED", "SNAPSHOT-OF");
        for (JsonNode d : vdis) {
            t.row(d.path("uuid").asText(), Output.text(d.path("name")), Output.text(d.path("sr")), Output.bytes(d.path("virtualSize").asLong()),
                    Output.bytes(d.path("physicalUtilisation").asLong()), Output.text(d.path("snapshotOf")));
        }
        atoll.print(vdis, t.render());
        return 0;
    }

    @Command(name = "create", description = "Create an empty disk in a repository; prints its uuid.")
    int create(@Parameters(paramLabel = "NAME") String name,
               @Option(names = "--sr", required = true, paramLabel = "SR") String sr,
               @Option(names = "--size", required = true, paramLabel = "SIZE", description = "e.g. 512M, 20G.") String size) {
        MasterClient client = atoll.client();
        ObjectNode body = MasterClient.JSON.createObjectNode().put("name", name)
                .put("sr", SrCommand.resolve(client, sr).path("uuid").asText())
                .put("sizeBytes", VmCommand.mebibytes(size) * 1024 * 1024);
        JsonNode vdi = client.post(PATH, body);
        atoll.print(vdi, vdi.path("uuid").asText() + "\n");
        return 0;
    }

    @Command(name = "resize", description = "Grow a disk.")
    int resize(@Parameters(index = "0", paramLabel = "VDI") String vdi, @Parameters(index = "1", paramLabel = "SIZE") String size) {
        JsonNode done = atoll.client().post(PATH + "/" + vdi + "/resize",
                MasterClient.JSON.createObjectNode().put("sizeBytes", VmCommand.mebibytes(size) * 1024 * 1024));
        atoll.print(done, Output.keyValues(done));
        return 0;
    }

    @Command(name = "destroy", description = "Destroy a disk or snapshot no VM uses.")
    int destroy(@Parameters(paramLabel = "VDI") String vdi) {
        atoll.client().delete(PATH + "/" + vdi);
        atoll.print(MasterClient.JSON.createObjectNode().put("uuid", vdi), "");
        return 0;
    }
}
