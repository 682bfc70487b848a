package io.atoll.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What one run of the CLI talks to: its output streams, the environment, where the credentials
 * live, and whether a person watches (a terminal gets a progress bar, a pipe plain lines).
 * Tests build one around string writers and a temporary directory.
 *
 * @param out results (tables, JSON, uuids): what scripts read
 * @param err errors and task progress
 * @param env the environment ({@code ATOLL_SERVER}, {@code ATOLL_TOKEN})
 * @param configDir holds {@code credentials}
 * @param tty whether stderr is a terminal (progress bars, {@code \r} redraws)
 * @param console where a password is asked without echo, or {@code null} when there is no terminal
 */
public record Context(PrintWriter out, PrintWriter err, Map<String, String> env, Path configDir, boolean tty, Console console) {
    public Context {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        env = Map.copyOf(env);
        Objects.requireNonNull(configDir, "configDir");
    }

    /** The process's own: System.out/err, its environment, {@code $XDG_CONFIG_HOME/atoll} or {@code ~/.config/atoll}. */
    public static Context system() {
        Map<String, String> env = System.getenv();
        String xdg = env.get("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg, "atoll") : Path.of(System.getProperty("user.home"), ".config", "atoll");
        Console console = System.console();
        return new Context(new PrintWriter(System.out, true), new PrintWriter(System.err, true), env, config, console != null, console);
    }
}
