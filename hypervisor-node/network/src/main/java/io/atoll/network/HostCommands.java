package io.atoll.network;

import io.atoll.node.api.NodeErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the host's networking tools ({@code ip}, {@code bridge}, {@code tc}, {@code nft},
 * {@code dnsmasq}) as argument lists, never through a shell. With a network namespace every command
 * runs inside it ({@code ip netns exec NS …}): tests make two "hosts" on one machine that way.
 */
public final class HostCommands {

    /** What a command printed and how it ended. */
    public record Result(int exitCode, String out, String err) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private final String namespace;

    private HostCommands(String namespace) {
        this.namespace = namespace;
    }

    /** Commands on this host itself. */
    public static HostCommands host() {
        return new HostCommands(null);
    }

    /** Commands inside the network namespace {@code name} ({@code ip netns add} made it). */
    public static HostCommands inNamespace(String name) {
        if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("namespace '" + name + "' is invalid");
        }
        return new HostCommands(name);
    }

    /** The namespace, or {@code null} for the host's own. */
    public String namespace() {
        return namespace;
    }

    /** {@code command} as it runs here: prefixed with {@code ip netns exec NS} inside a namespace. */
    public List<String> argv(List<String> command) {
        if (namespace == null) {
            return List.copyOf(command);
        }
        List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        a.addAll(command);
        return a;
    }

    /** Runs a command, feeding it {@code stdin} when not null. */
    public Result run(List<String> command, String stdin) {
        ProcessBuilder pb = new ProcessBuilder(argv(command));
        try {
            Process p = pb.start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            StreamReader out = new StreamReader(p.getInputStream());
            StreamReader err = new StreamReader(p.getErrorStream());
            out.start();
            err.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NetworkException(NodeErrorCode.NETWORK_FAILED, null, "'" + String.join(" ", command) + "' did not finish within 60 s");
            }
            out.join();
            err.join();
            return new Result(p.exitValue(), out.text(), err.text());
        } catch (IOException e) {
            throw new NetworkException(NodeErrorCode.NETWORK_FAILED, null, "cannot run " + command.get(0) + ": " + e.getMessage()
                    + " (install iproute2, nftables and dnsmasq-base: bin/install-deps)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkException(NodeErrorCode.NETWORK_FAILED, null, "interrupted while running " + command.get(0));
        }
    }

    /** Runs a command and answers its output; fails with its error message when it fails. */
    public String check(String object, String... command) {
        Result r = run(List.of(command), null);
        if (!r.ok()) {
            throw new NetworkException(NodeErrorCode.NETWORK_FAILED, object,
                    "'" + String.join(" ", command) + "' failed: " + r.err().strip());
        }
        return r.out();
    }

    /** Runs a command whose failure is acceptable (removing what may be gone already). */
    public Result tryRun(String... command) {
        return run(List.of(command), null);
    }

    private static final class StreamReader extends Thread {
        private final InputStream in;
        private volatile String text = "";

        StreamReader(InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "";
            }
        }

        String text() {
            return text;
        }
    }
}
