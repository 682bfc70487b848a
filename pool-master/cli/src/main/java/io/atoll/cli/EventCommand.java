package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code atoll event watch}: follows {@code GET /api/v1/events?from=TOKEN} (long poll), one line
 * an event — a fixed-width line on a table, one JSON object a line with {@code --output json}.
 * Without {@code --from} it starts at the current token: only what changes from now on.
 */
@Command(name = "event", description = "Follow the pool's changes.")
public final class EventCommand {
    @ParentCommand
    Atoll atoll;

    @Command(name = "watch", description = "Print events as they happen (Ctrl-C ends).")
    int watch(@Option(names = "--from", paramLabel = "TOKEN", description = "Start after this event id (0: from the beginning).") Long from,
              @Option(names = "--class", paramLabel = "CLASS", split = ",", description = "Only these classes (vm, host, task, pool).") List<String> classes,
              @Option(names = "--count", paramLabel = "N", description = "Stop after N events.") Long count,
              @Option(names = "--wait", paramLabel = "S", defaultValue = "60", description = "Seconds one long poll waits (default 60).") int wait) {
        MasterClient client = atoll.client();
        long token = from != null ? from : client.get("/api/v1/events").path("token").asLong();
        long printed = 0;
        if (!atoll.json()) {
            atoll.context().out().println(header());
        }
        while (count == null || printed < count) {
            JsonNode batch = client.get("/api/v1/events?from=" + token + "&timeout=" + wait, Duration.ofSeconds(wait + 30L));
            for (JsonNode event : batch.path("events")) {
                if (count != null && printed >= count) {
                    break;
                }
                if (classes == null || classes.stream().anyMatch(c -> c.equalsIgnoreCase(event.path("class").asText()))) {
                    atoll.context().out().print(atoll.json() ? Output.jsonLine(event) : line(event) + "\n");
                    printed++;
                }
            }
            atoll.context().out().flush();
            token = batch.path("token").asLong(token);
        }
        return 0;
    }

    static String header() {
        return String.format(Locale.ROOT, "%-8s %-20s %-5s %-4s %-36s %s", "ID", "TIME", "CLASS", "OP", "REF", "SUMMARY");
    }

    /** {@code 42  2026-11-27 16:53:08Z  vm  mod  UUID  web1 RUNNING}. */
    static String line(JsonNode event) {
        return String.format(Locale.ROOT, "%-8s %-20s %-5s %-4s %-36s %s", event.path("id").asText(), Output.time(event.path("timestamp")),
                event.path("class").asText(), event.path("operation").asText(), event.path("ref").asText(), summary(event.path("snapshot"))).stripTrailing();
    }

    /** What a person wants to see of a snapshot: its name and state. */
    static String summary(JsonNode s) {
        StringBuilder out = new StringBuilder();
        for (String field : List.of("name", "powerState", "health", "status")) {
            if (s.hasNonNull(field)) {
                out.append(out.length() == 0 ? "" : " ").append(s.path(field).asText());
            }
        }
        if (s.hasNonNull("progress") && "RUNNING".equals(s.path("status").asText())) {
            out.append(' ').append(Output.percent(s.path("progress").asDouble()));
        }
        JsonNode error = s.path("error");
        if (error.isObject()) {
            out.append(' ').append(error.path("code").asText());
        }
        return out.toString();
    }
}
