package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code atoll} command: the pool master's API from a shell, in the habits of {@code xe} —
 * {@code atoll vm list}, {@code atoll vm start web1}, tables for people and {@code --output json}
 * for scripts. Operations run as tasks on the master; the CLI follows them to the end (a progress
 * bar on a terminal) unless {@code --async}.
 *
 * <p>Exit codes: 0 done; 1 the server refused, a task failed, or a name matched nothing; 2 wrong
 * usage; 3 the master could not be reached; 4 a local problem (credentials, a file).
 */
@Command(name = "atoll", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, versionProvider = Atoll.Version.class, usageHelpAutoWidth = true,
        description = "Manage an Atoll pool through its pool master.",
        subcommands = {LoginCommand.class, LogoutCommand.class, PoolCommand.class, HostCommand.class, VmCommand.class, TaskCommand.class, SrCommand.class, VdiCommand.class, NetworkCommand.class, EventCommand.class, HaCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "The server is --server, else $ATOLL_SERVER, else the one of the last atoll login, else " + Atoll.DEFAULT_SERVER + ".",
                "Exit codes: 0 done, 1 refused or failed (the server's code is printed), 2 usage, 3 master unreachable, 4 local error."})
public final class Atoll {
    public static final String DEFAULT_SERVER = "http://127.0.0.1:7400";
    public static final int USAGE = 2;

    /** How results print. */
    public enum Format { table, json }

    @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "The pool master, e.g. http://10.0.0.2:7400, or its instances as a list: http://a:7400,http://b:7400"
                    + " (default: $ATOLL_SERVER, the last login's, " + DEFAULT_SERVER + ").")
    String server;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (default) or json (the server's JSON).")
    Format output;

    @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
            description = "A session or API token (default: $ATOLL_TOKEN, else the one atoll login stored for this server); "
                    + "for host join --master, the join token.")
    String token;

    private final Context context;

    public Atoll(Context context) {
        this.context = context;
    }

    public static void main(String[] args) {
        System.exit(run(args, Context.system()));
    }

    /** Runs one command line; returns the exit code. */
    public static int run(String[] args, Context context) {
        CommandLine cl = commandLine(context);
        int code = cl.execute(args);
        context.out().flush();
        context.err().flush();
        return code;
    }

    static CommandLine commandLine(Context context) {
        CommandLine cl = new CommandLine(new Atoll(context));
        cl.setOut(context.out());
        cl.setErr(context.err());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof CliException failure) {
                context.err().println(failure.line());
                return failure.exitCode();
            }
            throw e;
        });
        return cl;
    }

    Context context() {
        return context;
    }

    boolean json() {
        return output == Format.json;
    }

    /** The server this run talks to (see the class comment for the order); the first of a list. */
    URI serverUrl() {
        return serverUrls().get(0);
    }

    /** The servers to try: a pool with several master instances is given as a comma-separated list. */
    List<URI> serverUrls() {
        String chosen = server != null ? server
                : context.env().getOrDefault("ATOLL_SERVER", "").isBlank() ? storedCredentials().map(Credentials::server).orElse(DEFAULT_SERVER)
                : context.env().get("ATOLL_SERVER");
        List<URI> out = new java.util.ArrayList<>();
        for (String one : chosen.split(",")) {
            if (!one.isBlank()) {
                out.add(parseServer(one));
            }
        }
        if (out.isEmpty()) {
            throw new CliException("INVALID_SERVER", "no server given: --server http://10.0.0.2:7400[,http://10.0.0.3:7400…]", null, USAGE);
        }
        return out;
    }

    /** {@code http(s)://HOST[:PORT]}, trailing slash dropped; anything else is a usage error. */
    static URI parseServer(String value) {
        try {
            URI uri = new URI(value.strip());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null || uri.getQuery() != null
                    || uri.getUserInfo() != null || !(uri.getPath() == null || uri.getPath().isEmpty() || "/".equals(uri.getPath()))) {
                throw new URISyntaxException(value, "not http(s)://HOST[:PORT]");
            }
            return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
        } catch (URISyntaxException e) {
            throw new CliException("INVALID_SERVER", "server '" + value + "' is not a URL like http://10.0.0.2:7400", null, USAGE);
        }
    }

    /** --token, $ATOLL_TOKEN, or the stored token when it was issued by this very server. */
    String bearerToken(URI serverUrl) {
        if (token != null) {
            return token;
        }
        String env = context.env().get("ATOLL_TOKEN");
        if (env != null && !env.isBlank()) {
            return env;
        }
        return storedCredentials().filter(c -> parseServer(c.server().split(",")[0]).equals(serverUrl)).map(Credentials::token).orElse(null);
    }

    Optional<Credentials> storedCredentials() {
        return Credentials.load(context.configDir());
    }

    MasterClient client() {
        List<URI> urls = serverUrls();
        return new MasterClient(urls, bearerToken(urls.get(0)));
    }

    /** Prints a result: JSON as the server gave it, or what {@code table} renders. */
    void print(JsonNode json, String table) {
        context.out().print(json() ? Output.json(json) : table);
        context.out().flush();
    }

    /**
     * Follows a task the server accepted (202) to its end, or with {@code async} prints its uuid
     * (its JSON with {@code --output json}) and returns. A failed task is a {@link CliException}
     * with the task's own error code and message.
     */
    int task(JsonNode accepted, boolean async, MasterClient client) {
        if (async) {
            print(accepted, accepted.path("uuid").asText() + "\n");
            return 0;
        }
        JsonNode done = new TaskFollower(client, context).follow(accepted);
        if (json()) {
            print(done, "");
        }
        return TaskFollower.outcome(done);
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Atoll.class.getPackage().getImplementationVersion();
            return new String[] {"atoll " + (v == null ? "(development build)" : v)};
        }
    }
}
