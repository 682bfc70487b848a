package io.atoll.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code atoll logout}: ends the stored session on its server, then forgets the token. */
@Command(name = "logout", description = "End the stored session on the server and delete the credentials file.")
public final class LogoutCommand implements Callable<Integer> {
    @ParentCommand
    Atoll atoll;

    @Override
    public Integer call() {
        Optional<Credentials> stored = atoll.storedCredentials();
        if (stored.isEmpty()) {
            atoll.context().err().println("not logged in (no " + atoll.context().configDir().resolve(Credentials.FILE_NAME) + ")");
            return 0;
        }
        Credentials c = stored.get();
        try {
            if (c.token() != null) {
                new MasterClient(java.util.Arrays.stream(c.server().split(",")).map(Atoll::parseServer).toList(), c.token()).post("/api/v1/session/logout", null);
            }
        } catch (CliException e) {
            // An expired token or a server gone: the local copy goes all the same.
            atoll.context().err().println("warning: the server did not end the session: " + e.line());
        } finally {
            try {
                Files.deleteIfExists(atoll.context().configDir().resolve(Credentials.FILE_NAME));
            } catch (IOException e) {
                throw CliException.local("CREDENTIALS_UNWRITABLE", "cannot delete the credentials: " + e.getMessage());
            }
        }
        atoll.context().err().println("logged out of " + c.server());
        return 0;
    }
}
