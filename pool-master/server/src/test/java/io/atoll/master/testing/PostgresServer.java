package io.atoll.master.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A private PostgreSQL server for the test run, from the distribution's binaries (Debian's
 * {@code postgresql-15}: {@code /usr/lib/postgresql/15/bin}): {@code initdb} into a temporary
 * directory owned by {@code postgres}, {@code pg_ctl start} on a free loopback port with the
 * socket in that directory, then a role and a database for the master with a random password.
 * {@link #stop()} stops it ({@code pg_ctl stop -m fast}) and deletes the directory.
 *
 * <p>Without PostgreSQL binaries the tests fail with what to install — they do not skip.
 */
public class PostgresServer implements QuarkusTestResourceLifecycleManager {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final String OS_USER = "postgres";

    private Path root;
    private Path bin;
    private Path data;
    private Path log;

    @Override
    public Map<String, String> start() {
        bin = binaries();
        int port = Commands.freePort();
        String password = randomHex();
        try {
            root = Files.createTempDirectory(Path.of("/tmp"), "atoll-pg-");
            if ("root".equals(System.getProperty("user.name"))) {
                // initdb runs as postgres and must own the directory it creates the cluster in.
                UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
                PosixFileAttributeView view = Files.getFileAttributeView(root, PosixFileAttributeView.class);
                view.setOwner(users.lookupPrincipalByName(OS_USER));
                GroupPrincipal group = users.lookupPrincipalByGroupName(OS_USER);
                view.setGroup(group);
            }
            log = Files.createTempFile("atoll-pg-", ".log");
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare a PostgreSQL directory under /tmp (is there a '" + OS_USER + "' user?): " + e, e);
        }
        data = root.resolve("data");
        Commands.run(log, STEP, Commands.as(OS_USER, List.of(bin.resolve("initdb").toString(), "-D", data.toString(),
                "--username=" + OS_USER, "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")));
        // -o hands one string of options to the postgres server; pg_ctl passes it on, no shell is involved.
        Commands.run(log, STEP, Commands.as(OS_USER, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-t", "60",
                "-l", root.resolve("postgres.log").toString(),
                "-o", "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1 -c fsync=off", "start")));
        psql(port, "CREATE ROLE atoll LOGIN PASSWORD '" + password + "'");
        psql(port, "CREATE DATABASE atoll OWNER atoll");
        return Map.of("quarkus.datasource.jdbc.url", "jdbc:postgresql://127.0.0.1:" + port + "/atoll",
                "quarkus.datasource.username", "atoll",
                "quarkus.datasource.password", password);
    }

    private void psql(int port, String sql) {
        Commands.run(log, STEP, Commands.as(OS_USER, List.of(bin.resolve("psql").toString(), "-h", root.toString(), "-p",
                Integer.toString(port), "-U", OS_USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql)));
    }

    @Override
    public void stop() {
        try {
            if (data != null && Files.exists(data.resolve("postmaster.pid"))) {
                Commands.run(log, STEP, Commands.as(OS_USER, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w",
                        "-m", "fast", "stop")));
            }
        } finally {
            Commands.deleteTree(root);
            if (log != null) {
                log.toFile().delete();
            }
        }
    }

    /** The newest PostgreSQL's bin directory under /usr/lib/postgresql, or a failure saying what to install. */
    static Path binaries() {
        String configured = System.getProperty("atoll.test.postgres-bin");
        if (configured != null) {
            return Path.of(configured);
        }
        Path base = Path.of("/usr/lib/postgresql");
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(base)) {
            try (Stream<Path> versions = Files.list(base)) {
                versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb"))).forEach(found::add);
            } catch (IOException ignored) {
                // reported below
            }
        }
        return found.stream().max(Comparator.comparingInt(b -> version(b.getParent().getFileName().toString())))
                .orElseThrow(() -> new IllegalStateException("PostgreSQL server binaries (initdb, pg_ctl) are missing under " + base
                        + ": the pool master's tests run against a real PostgreSQL. Run bin/install-deps (it installs Debian's "
                        + "'postgresql' package), or point -Datoll.test.postgres-bin at a PostgreSQL bin directory."));
    }

    private static String randomHex() {
        byte[] raw = new byte[16];
        new SecureRandom().nextBytes(raw);
        return HexFormat.of().formatHex(raw);
    }

    private static int version(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
