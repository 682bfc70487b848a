package io.atoll.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Properties;

/**
 * The session {@code atoll login} keeps: which server, as whom, and the token it answered. One
 * file ({@code credentials}, a properties file) readable by its owner only (0600, in a 0700
 * directory), written whole to a temporary file and moved into place, so a reader never sees half
 * of it and the token is never readable by others, not even for a moment.
 *
 * <p>The token goes only to the server it came from: with {@code --server} naming another one, the
 * stored token is not sent.
 *
 * @param server the pool master's URL
 * @param user who logged in
 * @param token the session token (a bearer token)
 */
public record Credentials(String server, String user, String token) {
    public static final String FILE_NAME = "credentials";

    public Credentials {
        if (server == null || server.isBlank()) {
            throw new IllegalArgumentException("credentials need the server's URL");
        }
    }

    /** The file in {@code dir}, or empty when there is none. */
    public static Optional<Credentials> load(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw CliException.local("CREDENTIALS_UNREADABLE", "cannot read " + file + ": " + e.getMessage());
        }
        String server = p.getProperty("server");
        if (server == null || server.isBlank()) {
            throw CliException.local("CREDENTIALS_UNREADABLE", file + " names no server: run atoll login again");
        }
        return Optional.of(new Credentials(server, p.getProperty("user"), p.getProperty("token")));
    }

    /** Writes the file (0600) in {@code dir} (created 0700 if missing); returns its path. */
    public Path save(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path temp = dir.resolve(FILE_NAME + ".tmp");
            Files.deleteIfExists(temp);
            try {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException raced) {
                throw CliException.local("CREDENTIALS_UNWRITABLE", "another atoll login writes " + temp + ": try again");
            }
            Properties p = new Properties();
            p.setProperty("server", server);
            if (user != null) {
                p.setProperty("user", user);
            }
            if (token != null) {
                p.setProperty("token", token);
            }
            try (Writer w = Files.newBufferedWriter(temp)) {
                p.store(w, "atoll login: the session token for " + server + " (keep this file 0600)");
            }
            Path file = dir.resolve(FILE_NAME);
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return file;
        } catch (IOException e) {
            throw CliException.local("CREDENTIALS_UNWRITABLE", "cannot write the credentials in " + dir + ": " + e.getMessage());
        }
    }

    /** Hides the token: command lines and objects get printed. */
    @Override
    public String toString() {
        return "Credentials[server=" + server + ", user=" + user + ", token=" + (token == null ? "none" : "***") + "]";
    }
}
