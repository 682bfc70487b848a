package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code atoll sr …}: storage repositories. The master models SRs but has no API for them yet;
 * {@code GET /api/v1/srs} answering 404 NOT_FOUND is reported as exactly that, never as an empty
 * pool.
 */
@Command(name = "sr", description = "Storage repositories.")
public final class SrCommand {
    static final String PATH = "/api/v1/srs";

    @ParentCommand
    Atoll atoll;

    @Command(name = "list", description = "The pool's storage repositories.")
    int list() {
        MasterClient client = atoll.client();
        JsonNode srs;
        try {
            srs = client.get(PATH);
        } catch (CliException e) {
            if ("NOT_FOUND".equals(e.code())) {
                throw CliException.refused("NOT_SUPPORTED", "the pool master at " + client.server()
                        + " has no storage repository API yet (GET " + PATH + " answered 404)", null);
            }
            throw e;
        }
        Table t = new Table("UUID", "NAME", "TYPE", "SHARED");
        for (JsonNode sr : srs) {
            t.row(sr.path("uuid").asText(), Output.text(sr.path("name")), Output.text(sr.path("type")), Output.text(sr.path("shared")));
        }
        atoll.print(srs, t.render());
        return 0;
    }
}
