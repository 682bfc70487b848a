package io.atoll.master.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a program (an argument list, never a shell string) with a bound, its output appended to a log. */
public final class Commands {
    private Commands() {
    }

    /** Runs {@code argv}; fails with the log's tail when it exits non-zero or outlives {@code timeout}. */
    static void run(Path log, Duration timeout, List<String> argv) {
        try {
            Files.writeString(log, "$ " + String.join(" ", argv) + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException(argv.get(0) + " did not end within " + timeout.toSeconds() + " s; log " + log + ":\n" + tail(log));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " exited with " + p.exitValue() + "; log " + log + ":\n" + tail(log));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + argv.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + argv.get(0), e);
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** {@code argv} run as {@code user} when this JVM runs as root (initdb and postgres refuse root), else as is. */
    static List<String> as(String user, List<String> argv) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return argv;
        }
        List<String> out = new ArrayList<>(List.of("runuser", "-u", user, "--"));
        out.addAll(argv);
        return out;
    }

    /** Deletes a tree, deepest first; best effort. */
    /** Copies a directory tree (a plugin's directory into a test's plugins directory). */
    public static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    public static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static final java.util.Set<Integer> PORTS_GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port free now on loopback, chosen below the kernel's ephemeral range (32768–60999 by
     * default): a port of that range, once closed, can be taken at once as the local port of any
     * outgoing connection (JGroups' own among them) before the test binds it. The port 100 above it
     * (where JGroups' FD_SOCK2 listens beside a cluster port) is free too, and neither was given
     * before in this JVM.
     */
    public static int freePort() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = 20000 + random.nextInt(12000);
            if (!PORTS_GIVEN.contains(port) && !PORTS_GIVEN.contains(port + 100) && !PORTS_GIVEN.contains(port - 100)
                    && bindable(port) && bindable(port + 100)) {
                PORTS_GIVEN.add(port);
                return port;
            }
        }
        throw new IllegalStateException("no free loopback port between 20000 and 32099 after 500 tries");
    }

    private static boolean bindable(int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
