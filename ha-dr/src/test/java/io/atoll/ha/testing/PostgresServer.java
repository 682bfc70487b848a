package io.atoll.ha.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A private PostgreSQL for a test class, as the pool master's tests start theirs
 * (pool-master/server/…/testing/PostgresServer): {@code initdb} as {@code postgres} into
 * {@code /tmp/atoll-pg-*}, {@code pg_ctl start} on a free loopback port, a role and database
 * {@code atoll} with a random password. {@link #close()} stops it and deletes the directory. Without
 * the binaries it fails saying what to install; it does not skip.
 */
public final class PostgresServer implements AutoCloseable {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final String OS_USER = "postgres";

    private final Path bin;
    private final Path root;
    private final Path data;
    private final Path log;
    private final int port;
    private final String password;

    private PostgresServer() throws IOException {
        bin = binaries();
        port = Commands.freePort();
        byte[] raw = new byte[16];
        new SecureRandom().nextBytes(raw);
        password = HexFormat.of().formatHex(raw);
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-pg-");
        if ("root".equals(System.getProperty("user.name"))) {
            UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
            PosixFileAttributeView view = Files.getFileAttributeView(root, PosixFileAttributeView.class);
            view.setOwner(users.lookupPrincipalByName(OS_USER));
            view.setGroup(users.lookupPrincipalByGroupName(OS_USER));
        }
        log = Files.createTempFile("atoll-pg-", ".log");
        data = root.resolve("data");
    }

    public static PostgresServer start() {
        PostgresServer s;
        try {
            s = new PostgresServer();
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare a PostgreSQL directory under /tmp (is there a 'postgres' user?): " + e, e);
        }
        try {
            Commands.run(s.log, STEP, Commands.as(OS_USER, List.of(s.bin.resolve("initdb").toString(), "-D", s.data.toString(),
                    "--username=" + OS_USER, "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")));
            Commands.run(s.log, STEP, Commands.as(OS_USER, List.of(s.bin.resolve("pg_ctl").toString(), "-D", s.data.toString(), "-w", "-t",
                    "60", "-l", s.root.resolve("postgres.log").toString(),
                    "-o", "-p " + s.port + " -k " + s.root + " -c listen_addresses=127.0.0.1 -c fsync=off", "start")));
            s.psql("CREATE ROLE atoll LOGIN PASSWORD '" + s.password + "'");
            s.psql("CREATE DATABASE atoll OWNER atoll");
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/atoll";
    }

    public String user() {
        return "atoll";
    }

    public String password() {
        return password;
    }

    public DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(jdbcUrl());
        ds.setUser(user());
        ds.setPassword(password);
        return ds;
    }

    /** Drops and re-creates ha_master_lease from the module's migration file. */
    public void resetLease() {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS ha_master_lease");
            for (String sql : migration()) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reset ha_master_lease: " + e.getMessage(), e);
        }
    }

    /** The statements of V70__ha_master_lease.sql. */
    public static List<String> migration() {
        try (var in = PostgresServer.class.getResourceAsStream("/ha/db/V70__ha_master_lease.sql")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            StringBuilder noComments = new StringBuilder();
            for (String line : text.split("\n")) {
                if (!line.trim().startsWith("--")) {
                    noComments.append(line).append('\n');
                }
            }
            List<String> out = new ArrayList<>();
            for (String stmt : noComments.toString().split(";")) {
                if (!stmt.isBlank()) {
                    out.add(stmt.trim());
                }
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void psql(String sql) {
        Commands.run(log, STEP, Commands.as(OS_USER, List.of(bin.resolve("psql").toString(), "-h", root.toString(), "-p",
                Integer.toString(port), "-U", OS_USER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql)));
    }

    @Override
    public void close() {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                Commands.run(log, STEP, Commands.as(OS_USER, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-m",
                        "fast", "stop")));
            }
        } finally {
            Commands.deleteTree(root);
            log.toFile().delete();
        }
    }

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
        return found.stream().max(Comparator.comparing(b -> b.getParent().getFileName().toString()))
                .orElseThrow(() -> new IllegalStateException("PostgreSQL server binaries (initdb, pg_ctl) are missing under " + base
                        + ": the HA tests run against a real PostgreSQL. Run bin/install-deps (it installs Debian's 'postgresql' "
                        + "package), or point -Datoll.test.postgres-bin at a PostgreSQL bin directory."));
    }
}
