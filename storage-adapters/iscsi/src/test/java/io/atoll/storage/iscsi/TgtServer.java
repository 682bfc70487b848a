package io.atoll.storage.iscsi;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.StorageException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private tgt iSCSI server for tests: {@code tgtd -f} on 127.0.0.1 with its own iSCSI port and
 * its own management (control) port, so that tests neither collide with each other nor with a
 * tgtd of the machine. LUN backing files go to {@link #backingDir()} in a temporary directory.
 *
 * <p>Use it as a class-level extension ({@code @RegisterExtension static TgtServer tgt = new
 * TgtServer();}) or by hand: {@link #start()}, {@link #close()}. {@link #stop()} and
 * {@link #start()} again restart it on the same ports with an empty configuration, as a real
 * tgtd restart would. Only the tgtd this object started is ever stopped or killed (by its PID).
 *
 * <p>When tgt is not installed, {@link #start()} fails (it does not skip) and says to run
 * {@code bin/install-deps}.
 */
public final class TgtServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(10);
    private static final Pattern TARGET = Pattern.compile("(?m)^Target (\\d+): ");

    private Path root;
    private int controlPort;
    private int iscsiPort;
    private Process process;
    private Thread reaper;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    /** Starts tgtd (on the ports of the first start, when restarting) and waits until it answers. */
    public synchronized TgtServer start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return this;
        }
        if (root == null) {
            requireTool("tgtd");
            requireTool("tgtadm");
            root = Files.createTempDirectory(Path.of("/tmp"), "atoll-tgt-");
            Files.createDirectories(backingDir());
            for (int attempt = 1; ; attempt++) {
                controlPort = freeControlPort();
                iscsiPort = freeTcpPort();
                if (launch() || attempt == 3) {
                    break;
                }
            }
        } else {
            launch();
        }
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("tgtd did not start; its log:\n" + log());
        }
        return this;
    }

    /**
     * Stops tgtd the way an administrator would (tgtd ignores SIGTERM): removes its targets, then
     * the system. Kills it by PID if it has not exited after 10 s. Files stay, for a restart.
     */
    public synchronized void stop() throws IOException, InterruptedException {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            Matcher m = TARGET.matcher(tgtadm("--op", "show", "--mode", "target"));
            while (m.find()) {
                tgtadm("--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", m.group(1), "--force");
            }
            tgtadm("--op", "delete", "--mode", "system");
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
        process = null;
        removeSockets();
    }

    /** Stops tgtd and removes everything the server made: backing files, log, control sockets. */
    @Override
    public synchronized void close() throws IOException, InterruptedException {
        try {
            stop();
        } finally {
            if (reaper != null) {
                Runtime.getRuntime().removeShutdownHook(reaper);
                reaper = null;
            }
            if (root != null) {
                try (Stream<Path> walk = Files.walk(root)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                root = null;
            }
        }
    }

    /** Freezes tgtd (SIGSTOP): it keeps its sockets but answers nothing, like a hung array. */
    public void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    /** Lets a frozen tgtd run again (SIGCONT). */
    public void thaw() throws IOException, InterruptedException {
        signal("-CONT");
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** {@code 127.0.0.1:PORT}. */
    public String portal() {
        return "127.0.0.1:" + iscsiPort;
    }

    public int controlPort() {
        return controlPort;
    }

    /** Where LUN backing files go (the adapter's {@code backing-dir}). */
    public Path backingDir() {
        return root.resolve("luns");
    }

    /** The device-config of a repository on this server. */
    public Map<String, String> deviceConfig(String iqn, long capacity) {
        return Map.of(IscsiConfig.PORTAL, portal(), IscsiConfig.TARGET, iqn, IscsiConfig.BACKING_DIR, backingDir().toString(),
                IscsiConfig.CAPACITY, Long.toString(capacity), IscsiConfig.CONTROL_PORT, Integer.toString(controlPort));
    }

    /** Runs tgtadm against this server (10 s at most) and returns its output; failures come back as output too. */
    public String tgtadm(String... args) {
        List<String> cmd = new ArrayList<>(List.of("tgtadm", "-C", Integer.toString(controlPort)));
        cmd.addAll(List.of(args));
        try {
            CommandRunner.Result r = new CommandRunner().run(cmd, Duration.ofSeconds(10), List.of());
            return r.stdout() + r.stderr();
        } catch (StorageException e) {
            return e.getMessage();
        }
    }

    /** Whether tgtd answers a management query. */
    public boolean answers() {
        return tgtadm("--op", "show", "--mode", "system").contains("State: ready");
    }

    private boolean launch() throws IOException, InterruptedException {
        Path log = root.resolve("tgtd.log");
        process = new ProcessBuilder("tgtd", "-f", "-C", Integer.toString(controlPort), "--iscsi", "portal=" + portal())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (reaper == null) {
            // Should the test JVM end without close(), our tgtd must not outlive it.
            reaper = new Thread(() -> {
                Process p = process;
                if (p != null) {
                    p.destroyForcibly();
                }
            }, "tgtd-reaper");
            Runtime.getRuntime().addShutdownHook(reaper);
        }
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                process = null;
                return false;
            }
            if (answers() && portalAnswers()) {
                return true;
            }
            Thread.sleep(20);
        }
        process.destroyForcibly();
        process.waitFor();
        process = null;
        throw new IllegalStateException("tgtd did not answer within " + READY.toSeconds() + " s; its log:\n" + log());
    }

    private boolean portalAnswers() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", iscsiPort), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void signal(String signal) throws IOException, InterruptedException {
        if (process == null) {
            throw new IllegalStateException("tgtd is not running");
        }
        new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    private String log() {
        try {
            return Files.readString(root.resolve("tgtd.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void removeSockets() throws IOException {
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort));
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort + ".lock"));
    }

    private static int freeControlPort() {
        // tgtd's management socket is /var/run/tgtd/socket.N, N at most 32767: pick one nobody has used.
        while (true) {
            int n = ThreadLocalRandom.current().nextInt(1000, 32768);
            if (!Files.exists(Path.of("/var/run/tgtd/socket." + n + ".lock"))) {
                return n;
            }
        }
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    static void requireTool(String tool) {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin")
                .flatMap(p -> Stream.of(p.split(":"))).anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
        if (!found) {
            throw new AssertionError(tool + " is not installed: this test needs Debian's tgt and QEMU's iSCSI driver; run bin/install-deps");
        }
    }
}
