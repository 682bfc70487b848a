package io.atoll.storage.nfs;

import io.atoll.storage.nfs.client.NfsClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * An NFS server for tests: nfs-ganesha (VFS back end) exporting a temporary directory on
 * 127.0.0.1, with rpcbind as its portmapper, on the standard ports (111, 2049; MOUNT on 20048),
 * because QEMU's libnfs finds NFS only through a portmapper on 111. So one such server runs at a
 * time on a machine.
 *
 * <p>NFSv3 and v4, no NLM or RQUOTA (they need rpc.statd), {@code Graceless} so that a restart
 * serves at once instead of after a 90 s grace period, root not squashed (QEMU and the store
 * write as root). {@link #stop()} and {@link #start()} take the server away and bring it back
 * over the same directory; {@link #pause()}/{@link #resume()} freeze it (a hung server: connections
 * open, nothing answers). {@link #close()} ends only the processes this fixture started, by PID,
 * and deletes its directories.
 *
 * <p>Installs nothing: without {@code ganesha.nfsd} or {@code rpcbind} it fails, naming the
 * Debian packages ({@code bin/install-deps} installs them).
 */
public final class GaneshaServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GaneshaServer.class.getName());
    public static final String HOST = "127.0.0.1";
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);
    private static final String INSTALL = ": run bin/install-deps (Debian packages nfs-ganesha, nfs-ganesha-vfs, rpcbind)";

    private final String host;
    private final Path dir;
    private final Path export;
    private final Path config;
    private final Path ganesha;
    private Process rpcbind;
    private Process server;
    private Duration lastStart = Duration.ZERO;

    private GaneshaServer(String host, Path dir, Path ganesha) {
        this.host = host;
        this.dir = dir;
        this.export = dir.resolve("export");
        this.config = dir.resolve("ganesha.conf");
        this.ganesha = ganesha;
    }

    /** Writes the configuration, starts rpcbind if none runs, starts ganesha and waits until the export answers. */
    public static GaneshaServer launch() throws IOException, InterruptedException {
        return launch(HOST);
    }

    /**
     * The same on another address of this machine (a bridge's, for hosts in network namespaces
     * behind it); rpcbind listens on every address.
     */
    public static GaneshaServer launch(String host) throws IOException, InterruptedException {
        Path ganesha = tool("ganesha.nfsd");
        Path rpcbind = tool("rpcbind");
        if (!vfsBackendInstalled()) {
            throw new IllegalStateException("ganesha's VFS back end (libfsalvfs.so) is not installed" + INSTALL);
        }
        if (listening(host, 2049) || listening(HOST, 2049)) {
            throw new IllegalStateException("something listens on port 2049 already (another NFS server?): stop it, the test "
                    + "server needs the standard port");
        }
        Path dir = Files.createTempDirectory("atoll-ganesha-").toRealPath();
        GaneshaServer g = new GaneshaServer(host, dir, ganesha);
        try {
            Files.createDirectories(g.export);
            Files.createDirectories(dir.resolve("recovery"));
            Files.writeString(g.config, g.configuration());
            if (!listening(host, 111)) {
                g.rpcbind = new ProcessBuilder(List.of(rpcbind.toString(), "-f"))
                        .redirectErrorStream(true).redirectOutput(dir.resolve("rpcbind.log").toFile()).start();
                g.waitFor("rpcbind on port 111", () -> listening(host, 111), g.rpcbind);
            }
            g.start();
            return g;
        } catch (IOException | InterruptedException | RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** The address the server listens on. */
    public String host() {
        return host;
    }

    /** The exported directory's path, which is also the export's name. */
    public String exportPath() {
        return export.toString();
    }

    /** The exported directory on this machine, to check what the server really holds. */
    public Path exportDir() {
        return export;
    }

    /** How long the last {@link #start()} took until the export answered. */
    public Duration lastStart() {
        return lastStart;
    }

    /** Starts ganesha over the same directory and waits until the export answers. */
    public synchronized void start() throws IOException, InterruptedException {
        if (server != null && server.isAlive()) {
            return;
        }
        long t0 = System.nanoTime();
        server = new ProcessBuilder(List.of(ganesha.toString(), "-F", "-f", config.toString(), "-L",
                dir.resolve("ganesha.log").toString(), "-p", dir.resolve("ganesha.pid").toString(), "-N", "NIV_EVENT"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("ganesha.out").toFile()))
                .start();
        waitFor("the export " + export + " to answer", this::exportAnswers, server);
        lastStart = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info(() -> "ganesha " + server.pid() + ": serving " + export + " after " + lastStart.toMillis() + " ms");
    }

    /** Stops ganesha (SIGTERM, then SIGKILL after 20 s) and waits until it is gone. */
    public synchronized void stop() throws InterruptedException {
        if (server == null) {
            return;
        }
        resume();
        end(server, Duration.ofSeconds(20));
        server = null;
    }

    /** Freezes ganesha (SIGSTOP): its sockets stay open, nothing answers. */
    public synchronized void pause() throws IOException, InterruptedException {
        if (server != null && server.isAlive()) {
            signal("-STOP");
            // kill returns once the signal is sent, not once every thread has stopped: on a busy
            // machine ganesha still answered a request sent right after it
            waitFor("ganesha to freeze", this::frozen, server);
        }
    }

    public synchronized void resume() throws InterruptedException {
        try {
            signal("-CONT");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ends ganesha, and rpcbind if this fixture started it, then deletes the directories. */
    @Override
    public synchronized void close() throws InterruptedException {
        try {
            stop();
        } finally {
            if (rpcbind != null) {
                end(rpcbind, Duration.ofSeconds(10));
                rpcbind = null;
            }
            deleteTree(dir);
        }
    }

    private String configuration() {
        return """
                NFS_CORE_PARAM {
                    Protocols = 3, 4;
                    Enable_NLM = false;
                    Enable_RQUOTA = false;
                    NFS_Port = 2049;
                    MNT_Port = 20048;
                    Bind_addr = %1$s;
                }
                NFSv4 {
                    Graceless = true;
                    RecoveryBackend = fs;
                    RecoveryRoot = "%2$s";
                }
                EXPORT {
                    Export_Id = 1;
                    Path = "%3$s";
                    Pseudo = "%3$s";
                    Access_Type = RW;
                    Squash = No_Root_Squash;
                    Protocols = 3, 4;
                    Transports = TCP;
                    SecType = sys;
                    FSAL { Name = VFS; }
                }
                """.formatted(host, dir.resolve("recovery"), export);
    }

    private boolean exportAnswers() {
        try (NfsClient c = new NfsClient(host, 111, Duration.ofSeconds(2), 0, 0)) {
            c.getattr(c.mount(export.toString()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private interface Check {
        boolean ok() throws IOException;
    }

    /** A bounded poll: fails with the server's log when it dies or does not get ready in time. */
    private void waitFor(String what, Check check, Process process) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        while (!check.ok()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("waited in vain for " + what + (process.isAlive() ? "" : " (exit " + process.exitValue() + ")")
                        + "; logs in " + dir + ":\n" + tail(dir.resolve("ganesha.log")) + tail(dir.resolve("ganesha.out"))
                        + tail(dir.resolve("rpcbind.log")));
            }
            Thread.sleep(20);
        }
    }

    /** Whether every thread of ganesha is stopped: state T in /proc/PID/task/TID/stat. */
    private boolean frozen() throws IOException {
        try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(server.pid()), "task"))) {
            for (Path t : (Iterable<Path>) threads::iterator) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (NoSuchFileException e) {
                    continue; // the thread ended
                }
                if (stat.charAt(stat.lastIndexOf(')') + 2) != 'T') {
                    return false;
                }
            }
            return true;
        }
    }

    private void signal(String signal) throws IOException, InterruptedException {
        if (server != null && server.isAlive()) {
            Process kill = new ProcessBuilder(List.of("kill", signal, Long.toString(server.pid()))).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IOException("kill " + signal + " " + server.pid() + " failed");
            }
        }
    }

    private static void end(Process p, Duration grace) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    private static boolean listening(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path tool(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin"));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException(name + " is not installed" + INSTALL));
    }

    private static boolean vfsBackendInstalled() {
        List<Path> libs = new ArrayList<>(List.of(Path.of("/usr/lib"), Path.of("/usr/lib64")));
        try (Stream<Path> multiarch = Files.list(Path.of("/usr/lib"))) {
            multiarch.forEach(libs::add);
        } catch (IOException e) {
            return false;
        }
        return libs.stream().anyMatch(l -> Files.exists(l.resolve("ganesha/libfsalvfs.so")));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return log.getFileName() + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())) + "\n";
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warning("cannot delete " + root + ": " + e.getMessage());
        }
    }
}
