package io.atoll.agent;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Gives each test run of the agent its own state and runtime directories under /tmp (short, for
 * socket paths), and at the end fails if a QEMU started from them still runs, after ending it.
 */
public class AgentDirs implements QuarkusTestResourceLifecycleManager {
    private Path root;

    @Override
    public Map<String, String> start() {
        try {
            root = Files.createTempDirectory(Path.of("/tmp"), "atoll-agent-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return startIn(root);
    }

    /** The agent's directories under {@code dir}. */
    Map<String, String> startIn(Path dir) {
        root = dir;
        return Map.of("atoll.agent.state-dir", root.resolve("state").toString(),
                "atoll.agent.run-dir", root.resolve("run").toString(),
                "atoll.agent.plugins-dir", System.getProperty("atoll.test.plugins-dir", root.resolve("plugins").toString()),
                "atoll.agent.storage-work-dir", root.resolve("storage").toString(),
                "atoll.agent.host-uuid-file", root.resolve("host-uuid").toString(),
                "atoll.agent.network-dir", root.resolve("networks").toString());
    }

    @Override
    public void stop() {
        List<ProcessHandle> left = qemusUnder(root);
        left.forEach(ProcessHandle::destroyForcibly);
        try (var files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
        if (!left.isEmpty()) {
            throw new AssertionError("QEMU processes were left running by the agent tests: " + left);
        }
    }

    /** Live processes whose command line mentions {@code dir}. */
    static List<ProcessHandle> qemusUnder(Path dir) {
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8);
                String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
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
