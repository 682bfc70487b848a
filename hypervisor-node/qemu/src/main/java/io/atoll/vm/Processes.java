package io.atoll.vm;

import io.atoll.host.HostProbe;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;

/** Process checks through /proc: QEMU processes are not the agent's children once daemonized. */
final class Processes {
    static final int SIGKILL = 9;

    private Processes() {
    }

    /** Whether the process exists and is not a zombie. */
    static boolean isAlive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            char state = close > 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the process is the QEMU of this VM (its command line carries {@code -uuid UUID}). */
    static boolean isQemuOf(long pid, UUID uuid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String cmdline = new String(raw, StandardCharsets.UTF_8);
            return cmdline.contains("\0-uuid\0" + uuid + "\0");
        } catch (IOException e) {
            return false;
        }
    }

    static Long readPid(Path pidFile) {
        try {
            return Long.parseLong(Files.readString(pidFile).trim());
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** Waits until the process has gone (or is a zombie); returns whether it has. */
    static boolean awaitExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isAlive(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !isAlive(pid);
            }
        }
        return true;
    }

    /** SIGKILL, then wait for the process to go. */
    static void kill(long pid) {
        if (isAlive(pid)) {
            HostProbe.signal(pid, SIGKILL);
            awaitExit(pid, Duration.ofSeconds(10));
        }
    }

    /** The last {@code n} lines of a text file, empty when it does not exist. */
    static List<String> tail(Path file, int n) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - 16 * 1024);
            f.seek(from);
            byte[] buf = new byte[(int) (len - from)];
            f.readFully(buf);
            Deque<String> lines = new ArrayDeque<>();
            for (String line : new String(buf, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    lines.addLast(line.stripTrailing());
                    if (lines.size() > n) {
                        lines.removeFirst();
                    }
                }
            }
            return List.copyOf(lines);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Deletes a directory tree; quietly, since it is runtime debris. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
