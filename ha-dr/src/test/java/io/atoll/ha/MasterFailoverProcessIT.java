package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.ha.testing.Await;
import io.atoll.ha.testing.Commands;
import io.atoll.ha.testing.ElectionNode;
import io.atoll.ha.testing.PostgresServer;
import io.atoll.ha.testing.TestCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three would-be masters as separate JVMs on loopback with one PostgreSQL. Scenario: exactly one
 * becomes active; its process is killed (SIGKILL, by pid: no release, no goodbye) → another becomes
 * active within T + margin with a greater epoch, and never two at once.
 */
class MasterFailoverProcessIT {
    private static final HaTimings T = new HaTimings(Duration.ofSeconds(4));

    private final List<Process> started = new ArrayList<>();
    private Path dir;
    private PostgresServer postgres;

    @AfterEach
    void cleanUp() {
        for (Process p : started) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
        Commands.deleteTree(dir);
    }

    @Test
    void killingTheActiveMasterHandsOverWithinTPlusMargin() throws Exception {
        postgres = PostgresServer.start();
        postgres.resetLease();
        dir = Files.createTempDirectory("atoll-ha-it-");
        TestCluster ports = new TestCluster(T, 3);
        List<Path> outs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path out = dir.resolve("m" + i + ".out");
            outs.add(out);
            started.add(start(i, ports, out));
        }
        Await.until(Duration.ofSeconds(60), () -> "one active: " + states(outs), () -> activeCount(outs) == 1);
        long sampleEnd = System.nanoTime() + T.timeout().toNanos();
        while (System.nanoTime() < sampleEnd) {
            assertThat(activeCount(outs)).as("active masters: %s", states(outs)).isLessThanOrEqualTo(1);
            Thread.sleep(50);
        }
        int first = activeIndex(outs);
        long firstEpoch = epoch(lastLine(outs.get(first)));

        Process victim = started.get(first);
        long killed = System.nanoTime();
        victim.destroyForcibly();
        assertThat(victim.waitFor(10, TimeUnit.SECONDS)).isTrue();

        Await.until(T.restartAfter().plusSeconds(5), () -> "takeover: " + states(outs),
                () -> activeIndexExcept(outs, first) >= 0);
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        System.out.printf("MasterFailoverProcessIT: m%d killed, m%d active after %d ms (bound T + margin = %d ms)%n", first,
                activeIndexExcept(outs, first), takeover.toMillis(), T.restartAfter().toMillis());
        assertThat(takeover).as("takeover after the kill").isLessThanOrEqualTo(T.restartAfter());
        int second = activeIndexExcept(outs, first);
        assertThat(epoch(lastLine(outs.get(second)))).isGreaterThan(firstEpoch);
        int others = 0;
        for (int i = 0; i < 3; i++) {
            if (i != first && i != second && lastLine(outs.get(i)).startsWith("ACTIVE")) {
                others++;
            }
        }
        assertThat(others).isZero();
    }

    private Process start(int i, TestCluster ports, Path out) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> argv = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m", "-cp", cp,
                ElectionNode.class.getName(), "m" + i, Integer.toString(ports.port(i)), String.join(",", ports.initialHosts()), ports.name,
                Long.toString(T.timeout().toMillis()), postgres.jdbcUrl(), postgres.user(), "m0,m1,m2");
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(false).redirectOutput(out.toFile())
                .redirectError(dir.resolve("m" + i + ".err").toFile());
        pb.environment().put("ATOLL_HA_TEST_DB_PASSWORD", postgres.password());
        return pb.start();
    }

    private static String lastLine(Path out) {
        try {
            List<String> lines = Files.readAllLines(out).stream().filter(l -> l.startsWith("ACTIVE") || l.startsWith("STANDBY")).toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "";
        }
    }

    private static long epoch(String line) {
        return Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
    }

    private int activeCount(List<Path> outs) {
        int n = 0;
        for (int i = 0; i < outs.size(); i++) {
            if (started.get(i).isAlive() && lastLine(outs.get(i)).startsWith("ACTIVE")) {
                n++;
            }
        }
        return n;
    }

    private int activeIndex(List<Path> outs) {
        return activeIndexExcept(outs, -1);
    }

    private int activeIndexExcept(List<Path> outs, int except) {
        for (int i = 0; i < outs.size(); i++) {
            if (i != except && started.get(i).isAlive() && lastLine(outs.get(i)).startsWith("ACTIVE")) {
                return i;
            }
        }
        return -1;
    }

    private List<String> states(List<Path> outs) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) {
            s.add("m" + i + (started.get(i).isAlive() ? "" : "(dead)") + ": " + lastLine(outs.get(i)));
        }
        return s;
    }
}
