package io.atoll.storage.spi;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external tool with an argument list, never a shell string, and captures its output.
 * Arguments listed as secret are shown as {@code ***} in every message and log. Thread-safe.
 */
public class CommandRunner {

    /** What a command did. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * Runs a command and waits for it, for as long as it takes: storage commands (a full copy of
     * a large disk) may be long, and a hidden timeout would kill them half-way.
     *
     * @throws StorageException {@code BACKEND_FAILED} when the command cannot be started
     */
    public Result run(List<String> command) {
        return run(command, null, List.of());
    }

    /**
     * Runs a command with a time limit (for quick queries of a server that may be away).
     *
     * @param timeout {@code null} for none
     * @param secrets values to hide in messages (passwords given on a command line)
     */
    public Result run(List<String> command, Duration timeout, List<String> secrets) {
        Objects.requireNonNull(command, "command");
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, "cannot run " + command.get(0)
                    + ": " + e.getMessage() + " (is it installed?)", e);
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try {
            if (timeout == null) {
                p.waitFor();
            } else if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                throw new StorageException(StorageErrorCode.UNAVAILABLE, shown(command, secrets) + " did not finish within "
                        + timeout.toSeconds() + " s: is the storage server reachable?");
            }
            return new Result(List.copyOf(command), p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, "interrupted while running " + command.get(0), e);
        }
    }

    /**
     * Runs a command and fails unless it exits with 0.
     *
     * @throws StorageException {@code BACKEND_FAILED} with the tool's own error output
     */
    public Result check(List<String> command) {
        Result r = run(command);
        if (!r.ok()) {
            throw failed(r, List.of());
        }
        return r;
    }

    /** The exception for a failed command, its stderr included, secrets hidden. */
    public static StorageException failed(Result r, List<String> secrets) {
        String err = r.stderr().isBlank() ? r.stdout() : r.stderr();
        for (String s : secrets) {
            err = err.replace(s, "***");
        }
        return new StorageException(StorageErrorCode.BACKEND_FAILED, shown(r.command(), secrets) + " failed (exit "
                + r.exitCode() + "): " + err.strip());
    }

    /** A command as text for messages: its program and arguments, secrets replaced. */
    public static String shown(List<String> command, List<String> secrets) {
        List<String> out = new ArrayList<>();
        for (String arg : command) {
            String a = arg;
            for (String s : secrets) {
                if (!s.isEmpty()) {
                    a = a.replace(s, "***");
                }
            }
            out.add(a);
        }
        return String.join(" ", out);
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
