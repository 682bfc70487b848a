package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code atoll login}: {@code POST /api/v1/session/login}, then the session token goes into the
 * credentials file (0600) with the server's URL, so later commands need neither. The password is
 * asked on the terminal without echo, or read from a file; never taken as an argument (ps would
 * show it).
 */
@Command(name = "login", description = "Log in to a pool master and keep the session token in ~/.config/atoll/credentials (0600).")
public final class LoginCommand implements Callable<Integer> {
    static final String PATH = "/api/v1/session/login";

    @ParentCommand
    Atoll atoll;

    @Option(names = "--user", required = true, paramLabel = "NAME", description = "The user to log in as.")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from FILE (its first line) instead of asking.")
    Path passwordFile;

    @Override
    public Integer call() {
        java.util.List<URI> servers = atoll.serverUrls();
        URI server = servers.get(0);
        char[] password = password(server);
        ObjectNode body = MasterClient.JSON.createObjectNode().put("username", user).put("password", new String(password));
        Arrays.fill(password, '\0');
        JsonNode issued;
        try {
            issued = new MasterClient(servers, null).post(PATH, body);
        } catch (CliException e) {
            if ("NOT_FOUND".equals(e.code())) {
                throw CliException.refused("NOT_SUPPORTED", "the pool master at " + server + " has no login endpoint (POST " + PATH
                        + " answered 404): it does not authenticate users yet, so no login is needed", null);
            }
            throw e;
        }
        String token = issued.path("token").asText(null);
        if (token == null || token.isBlank()) {
            throw CliException.refused("BAD_ANSWER", "POST " + PATH + " answered no token", null);
        }
        Path file = new Credentials(servers.stream().map(URI::toString).collect(java.util.stream.Collectors.joining(",")), user, token).save(atoll.context().configDir());
        if (atoll.json()) {
            ObjectNode shown = issued.deepCopy();
            shown.remove("token");
            atoll.print(shown, "");
        } else {
            atoll.context().err().println("logged in to " + server + " as " + user
                    + (issued.hasNonNull("role") ? " (" + issued.path("role").asText() + ")" : "")
                    + (issued.hasNonNull("expiresAt") ? ", until " + Output.time(issued.path("expiresAt")) : "") + "; token kept in " + file);
        }
        return 0;
    }

    private char[] password(URI server) {
        if (passwordFile != null) {
            try {
                String text = Files.readString(passwordFile, StandardCharsets.UTF_8);
                int end = text.indexOf('\n');
                String line = end < 0 ? text : text.substring(0, end);
                return (line.endsWith("\r") ? line.substring(0, line.length() - 1) : line).toCharArray();
            } catch (IOException e) {
                throw CliException.local("PASSWORD_FILE_UNREADABLE", "cannot read " + passwordFile + ": " + e.getMessage());
            }
        }
        if (atoll.context().console() == null) {
            throw new CliException("NO_TERMINAL", "no terminal to ask the password on: give --password-file FILE", null, Atoll.USAGE);
        }
        char[] password = atoll.context().console().readPassword("password for %s at %s: ", user, server);
        if (password == null) {
            throw CliException.local("NO_PASSWORD", "no password given");
        }
        return password;
    }
}
