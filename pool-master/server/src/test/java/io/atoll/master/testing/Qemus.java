package io.atoll.master.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Finds QEMU processes by what their command line mentions, through /proc (QEMU daemonizes: it is nobody's child). */
public final class Qemus {
    private Qemus() {
    }

    /** Whether the process runs: exists and is not a zombie (a daemonized QEMU's parent may never reap it). */
    public static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** Live (not zombie) qemu-system processes whose command line contains {@code dir}. */
    public static List<ProcessHandle> under(Path dir) {
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                Path proc = Path.of("/proc", Long.toString(p.pid()));
                String cmd = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
                String stat = Files.readString(proc.resolve("stat"));
                boolean zombie = stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
                if (cmd.startsWith("qemu-system") && cmd.contains(dir.toString()) && !zombie) {
                    out.add(p);
                }
            } catch (IOException | RuntimeException ignored) {
                // gone meanwhile
            }
        });
        return out;
    }
}
