package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code atoll task …}: what the pool's asynchronous operations are doing or did. */
@Command(name = "task", description = "List and show tasks.")
public final class TaskCommand {
    @ParentCommand
    Atoll atoll;

    @Command(name = "list", description = "Tasks, newest first.")
    int list(@Option(names = "--status", paramLabel = "STATUS", description = "PENDING, RUNNING, SUCCESS, FAILURE or CANCELLED.") String status,
             @Option(names = "--limit", paramLabel = "N", description = "At most N (default 100, at most 1000).") Integer limit) {
        StringBuilder path = new StringBuilder("/api/v1/tasks");
        String sep = "?";
        if (status != null) {
            path.append(sep).append("status=").append(URLEncoder.encode(status, StandardCharsets.UTF_8));
            sep = "&";
        }
        if (limit != null) {
            path.append(sep).append("limit=").append(limit);
        }
        JsonNode tasks = atoll.client().get(path.toString());
        atoll.print(tasks, atoll.json() ? "" : table(tasks));
        return 0;
    }

    static String table(JsonNode tasks) {
        Table t = new Table("UUID", "NAME", "STATUS", "PROGRESS", "OBJECT", "CREATED", "ERROR");
        for (JsonNode task : tasks) {
            JsonNode object = task.path("object");
            JsonNode error = task.path("error");
            t.row(task.path("uuid").asText(), task.path("name").asText(), task.path("status").asText(),
                    Output.percent(task.path("progress").asDouble()),
                    object.isObject() ? object.path("class").asText() + " " + object.path("uuid").asText() : null,
                    Output.time(task.path("created")), error.isObject() ? error.path("code").asText() : null);
        }
        return t.render();
    }

    @Command(name = "show", description = "One task, every field (its error, its result).")
    int show(@Parameters(paramLabel = "UUID") String uuid) {
        JsonNode task = atoll.client().get("/api/v1/tasks/" + URLEncoder.encode(uuid, StandardCharsets.UTF_8));
        atoll.print(task, Output.keyValues(task));
        return 0;
    }
}
