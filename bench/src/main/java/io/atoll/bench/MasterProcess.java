package io.atoll.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged pool master (its Quarkus fast-jar) started for a benchmark: default profile, the
 * embedded H2 file database in a private data directory, loopback, a free port. Its heap is read
 * with the JDK's {@code jcmd}; stopping it ends its process by pid.
 */
final class MasterProcess implements AutoCloseable {
    private static final Pattern HEAP_USED = Pattern.compile("total (\\d+)K, used (\\d+)K");

    final Path dataDir;
    final String base;
    final Process process;
    private final Path log;
    private final Path jfr;

    /**
     * @param jar the master's {@code quarkus-run.jar}
     * @param root a private directory: the data directory and the log go there
     * @param jfr where to write a flight recording of the whole run, or {@code null} for none
     * @param properties {@code KEY=VALUE} system properties for the master (its configuration, e.g. {@code atoll.master.task-workers=32})
     */
    MasterProcess(Path jar, Path root, Path jfr, List<String> properties) throws Exception {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the pool master jar " + jar + " is missing: build it with"
                    + " 'mvn -pl pool-master/server -am package -DskipTests'");
        }
        this.dataDir = root.resolve("master-data");
        this.log = root.resolve("master.log");
        this.jfr = jfr;
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        base = "http://127.0.0.1:" + port;
        List<String> command = new ArrayList<>(List.of(java("java"), "-Datoll.master.data-dir=" + dataDir,
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1"));
        properties.forEach(p -> command.add("-D" + p));
        if (jfr != null) {
            command.add("-XX:StartFlightRecording=name=pool-scale,settings=profile");
        }
        command.addAll(List.of("-jar", jar.toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            QuarkusReady.await(process, base, Duration.ofSeconds(180), "the pool master", () -> tail(40));
        } catch (Exception | Error e) {
            process.destroyForcibly(); // no caller holds it yet: nobody else would stop it
            process.waitFor(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The first admin's password, which the master writes at its first start. */
    String adminPassword() throws IOException {
        return Files.readString(dataDir.resolve("admin-password")).trim();
    }

    /** Heap in use after a full collection, and the heap's committed size, in MiB. */
    long[] heapAfterGcMiB() throws Exception {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher m = HEAP_USED.matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("cannot read the heap from jcmd GC.heap_info:\n" + info);
        }
        return new long[] {Long.parseLong(m.group(2)) / 1024, Long.parseLong(m.group(1)) / 1024};
    }

    /** Resident memory of the master's process, in MiB. */
    long rssMiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }

    /**
     * CPU time the master's process has used so far (user + system), in seconds: a figure that the
     * neighbours' load on a shared machine does not inflate, unlike latency.
     */
    double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in USER_HZ (100 on Linux)
    }

    /** Lines of the master's log that match {@code needle}, counted. */
    long logLines(String needle) throws IOException {
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(needle)).count();
        }
    }

    String tail(int lines) throws IOException {
        List<String> all = Files.exists(log) ? Files.readAllLines(log) : List.of();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private String jcmd(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(java("jcmd"), Long.toString(process.pid())));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    private static String java(String tool) {
        Path p = Path.of(System.getProperty("java.home"), "bin", tool);
        return Files.isExecutable(p) ? p.toString() : tool;
    }

    /** Writes the flight recording (when asked for), then stops the master by its pid. */
    @Override
    public void close() throws Exception {
        if (jfr != null && process.isAlive()) {
            try {
                jcmd("JFR.dump", "name=pool-scale", "filename=" + jfr.toAbsolutePath());
                System.out.println("master flight recording: " + jfr.toAbsolutePath());
            } catch (Exception e) {
                System.err.println("could not write the master's flight recording: " + e.getMessage());
            }
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
