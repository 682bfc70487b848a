package io.atoll.master.auth;

import io.atoll.master.MasterConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.jboss.logging.Logger;

/**
 * At the first start (no user in the database) creates {@code admin} (pool-admin) with a generated
 * password, written to {@code DATA_DIR/admin-password}, mode 0600, created with that mode (never
 * readable by others, not even for a moment). The log says where the file is, never the password.
 */
@ApplicationScoped
public class FirstAdmin {
    private static final Logger LOG = Logger.getLogger(FirstAdmin.class);
    public static final String USERNAME = "admin";
    public static final String FILE = "admin-password";

    @Inject
    AuthService auth;

    @Inject
    MasterConfig config;

    void ensureAdmin(@Observes @Priority(6) StartupEvent start) {
        if (auth.anyUser()) {
            return;
        }
        String password = Passwords.randomSecret(18);
        Path file = config.dataDir().resolve(FILE);
        write(file, password);
        var user = auth.createUser(new Requests.CreateUser(USERNAME, password, Roles.POOL_ADMIN));
        LOG.infof("user %s: created as the first pool-admin; its password is in %s (readable by its owner only). "
                + "Log in, create your own users, then delete the file.", user.username(), file.toAbsolutePath());
    }

    private static void write(Path file, String password) {
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file); // a file left by an earlier database: its mode is not ours to trust
            Files.write(Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                    (password + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the first admin's password to " + file + ": " + e.getMessage(), e);
        }
    }
}
