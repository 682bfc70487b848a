package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * Follows a task by polling {@code GET /api/v1/tasks/{uuid}} until it ends. On a terminal it
 * redraws one progress bar on stderr; otherwise it prints a plain line whenever the status or
 * progress moves, so logs of scripts stay readable. Polling starts at 100 ms and slows to 1 s:
 * short operations end at once, long ones cost the master one request a second.
 */
final class TaskFollower {
    static final int BAR_WIDTH = 30;
    private static final Duration FIRST_POLL = Duration.ofMillis(100);
    private static final Duration SLOWEST_POLL = Duration.ofSeconds(1);

    private final MasterClient client;
    private final Context context;

    TaskFollower(MasterClient client, Context context) {
        this.client = client;
        this.context = context;
    }

    /** Returns the finished task. */
    JsonNode follow(JsonNode accepted) {
        String uuid = accepted.path("uuid").asText();
        JsonNode task = accepted;
        String shown = null;
        long delay = FIRST_POLL.toMillis();
        while (true) {
            String line = describe(task);
            if (context.tty()) {
                context.err().print("\r" + line + "   ");
            } else if (!line.equals(shown)) {
                context.err().println(line);
            }
            context.err().flush();
            shown = line;
            if (finished(task)) {
                if (context.tty()) {
                    context.err().println();
                }
                return task;
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.local("INTERRUPTED", "stopped following task " + uuid + " (it goes on: atoll task show " + uuid + ")");
            }
            delay = Math.min(SLOWEST_POLL.toMillis(), delay * 3 / 2);
            try {
                task = client.get("/api/v1/tasks/" + uuid);
            } catch (CliException e) {
                if (context.tty()) {
                    context.err().println(); // the error goes below the bar, not over it
                }
                throw e;
            }
        }
    }

    static boolean finished(JsonNode task) {
        String status = task.path("status").asText();
        return !("PENDING".equals(status) || "RUNNING".equals(status));
    }

    /** {@code vm.start [###########                   ] 40% RUNNING}; plain lines use the same text. */
    static String describe(JsonNode task) {
        double progress = task.path("progress").asDouble(0);
        int filled = (int) Math.round(Math.max(0, Math.min(1, progress)) * BAR_WIDTH);
        return task.path("name").asText("task") + " [" + "#".repeat(filled) + " ".repeat(BAR_WIDTH - filled) + "] "
                + String.format("%4s", Output.percent(progress)) + " " + task.path("status").asText();
    }

    /** 0 for SUCCESS; a failure or cancellation becomes the error the user sees. */
    static int outcome(JsonNode task) {
        String status = task.path("status").asText();
        if ("SUCCESS".equals(status)) {
            return 0;
        }
        JsonNode error = task.path("error");
        if ("FAILURE".equals(status) && error.hasNonNull("code")) {
            throw CliException.refused(error.path("code").asText(), error.path("message").asText(""),
                    error.path("object").isNull() ? null : error.path("object").asText(null));
        }
        throw CliException.refused("TASK_" + status, "task " + task.path("uuid").asText() + " (" + task.path("name").asText() + ") ended "
                + status, null);
    }
}
