package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code atoll pool …}: the pool itself — for now, the join tokens with which hosts join it. */
@Command(name = "pool", description = "The pool: join tokens for hosts.", subcommands = PoolCommand.JoinTokens.class)
public final class PoolCommand {
    @ParentCommand
    Atoll atoll;

    /** {@code atoll pool join-token create|list|revoke} (pool-admin). */
    @Command(name = "join-token", description = {"Tokens with which a host joins the pool by itself:",
            "  atoll host join --master URL --token TOKEN   (run on the host)"})
    static final class JoinTokens {
        private static final Pattern DURATION = Pattern.compile("(\\d{1,7})\\s*(m|min|h|d)?");

        @ParentCommand
        PoolCommand pool;

        @Command(name = "create", description = "A new join token; it is shown this once.")
        int create(@Option(names = "--expires-in", paramLabel = "DURATION", description = "Its lifetime: 60m (default), 2h, 1d (at most 7d).")
                   String expiresIn,
                   @Option(names = "--uses", paramLabel = "N", description = "How many hosts it may join (default 1).") Integer uses) {
            Atoll atoll = pool.atoll;
            JsonNode issued = atoll.client().post("/api/v1/pool/join-tokens", createRequest(expiresIn, uses));
            atoll.print(issued, Output.keyValues(issued));
            if (!atoll.json()) {
                atoll.context().err().println("On the host that joins: atoll host join --master " + atoll.serverUrl()
                        + " --token TOKEN  (the token above is shown only this once)");
            }
            return 0;
        }

        static ObjectNode createRequest(String expiresIn, Integer uses) {
            ObjectNode body = MasterClient.JSON.createObjectNode();
            if (expiresIn != null) {
                body.put("expiresInMinutes", minutes(expiresIn));
            }
            if (uses != null) {
                body.put("uses", uses);
            }
            return body;
        }

        /** {@code 90}, {@code 90m}, {@code 2h}, {@code 1d} → minutes. */
        static long minutes(String value) {
            Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new CliException("INVALID_DURATION", "--expires-in '" + value + "' is not a duration like 60m, 2h or 1d", null, Atoll.USAGE);
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "m" : m.group(2);
            return switch (unit) {
                case "h" -> n * 60;
                case "d" -> n * 24 * 60;
                default -> n;
            };
        }

        @Command(name = "list", description = "Join tokens: uses left and expiry (never the tokens).")
        int list() {
            Atoll atoll = pool.atoll;
            JsonNode tokens = atoll.client().get("/api/v1/pool/join-tokens");
            atoll.print(tokens, atoll.json() ? "" : table(tokens));
            return 0;
        }

        static String table(JsonNode tokens) {
            Table t = new Table("ID", "STATE", "USES-LEFT", "USES", "EXPIRES", "CREATED-BY");
            for (JsonNode token : tokens) {
                t.row(token.path("id").asText(), token.path("state").asText(), token.path("usesLeft").asText(), token.path("uses").asText(),
                        Output.time(token.path("expiresAt")), Output.text(token.path("createdBy")));
            }
            return t.render();
        }

        @Command(name = "revoke", description = "A host can no longer join with it; hosts it joined stay.")
        int revoke(@Parameters(paramLabel = "ID") String id) {
            if (!VmCommand.isUuid(id)) {
                throw CliException.refused("JOIN_TOKEN_NOT_FOUND", "'" + id + "' is not a join token id (atoll pool join-token list shows them)",
                        "join-token " + id);
            }
            pool.atoll.client().delete("/api/v1/pool/join-tokens/" + id);
            return 0;
        }
    }
}
