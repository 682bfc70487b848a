package io.atoll.master.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

import io.atoll.master.testing.Commands;
import io.atoll.master.testing.MasterProcess;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three packaged master instances share one database (an H2 server on loopback: the packaged
 * master is built for H2; the lease itself is tested on PostgreSQL in ha-dr) with
 * {@code atoll.master.ha.cluster=true} and T = 4 s: exactly one is active and serves the API, the
 * standbys redirect to it (307, {@code NOT_ACTIVE_MASTER}); the active one killed -9 → another
 * answers the API within T (the goal: 10 s for T = 10 s) with a greater epoch, nothing of
 * the pool lost and no task left running; the killed instance, started again, is a standby.
 */
class MasterFailoverIT {
    private static final Duration T = Duration.ofSeconds(4);
    private Path root;
    private Server database;
    private final List<MasterProcess> masters = new ArrayList<>();

    @BeforeEach
    void database() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-master-ha-");
        database = Server.createTcpServer("-tcpPort", Integer.toString(Commands.freePort()), "-baseDir", root.resolve("db").toString(),
                "-ifNotExists").start();
    }

    @AfterEach
    void stop() throws Exception {
        for (MasterProcess m : masters) {
            m.close();
        }
        if (database != null) {
            database.stop();
        }
        try (var files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private List<MasterProcess> start(int n) throws Exception {
        String url = "jdbc:h2:tcp://127.0.0.1:" + database.getPort() + "/pool;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
            ports[i] = Commands.freePort();
        }
        for (int i = 0; i < n; i++) {
            List<String> peers = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    peers.add("127.0.0.1[" + ports[j] + "]");
                }
            }
            MasterProcess m = MasterProcess.in(Files.createDirectories(root.resolve("m" + i)), "quarkus.datasource.jdbc.url=" + url,
                    "atoll.master.ha.cluster=true", "atoll.master.ha.instance=m" + i, "atoll.master.ha.port=" + ports[i],
                    "atoll.master.ha.peers=" + String.join(",", peers), "atoll.master.ha.timeout=" + T.toSeconds() + "s");
            masters.add(m);
        }
        for (int i = 0; i < n; i++) {
            masters.get(i).start("master.log");
            if (i > 0) {
                masters.get(i).adminPasswordFrom(masters.get(0));
            }
        }
        return masters;
    }

    private static boolean active(MasterProcess m) {
        try {
            return m.alive() && Boolean.TRUE.equals(m.api().get("/api/v1/pool/ha").then().extract().path("master.active"));
        } catch (RuntimeException notAnswering) {
            return false;
        }
    }

    private MasterProcess awaitOneActive(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            List<MasterProcess> on = masters.stream().filter(MasterFailoverIT::active).toList();
            if (on.size() == 1) {
                return on.get(0);
            }
            assertThat(on.size()).as("active master instances").isLessThanOrEqualTo(1);
            assertThat(System.nanoTime()).as("one active master within %s", within).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void oneInstanceIsActiveTheOthersRedirectAndAStandbyTakesOverWhenItDies() throws Exception {
        start(3);
        MasterProcess first = awaitOneActive(Duration.ofSeconds(30));
        long epoch = ((Number) first.api().get("/api/v1/pool/ha").then().extract().path("master.epoch")).longValue();
        assertThat(epoch).isPositive();
        first.api().get("/api/v1/pool/masters").then().statusCode(200).body("$", hasSize(3));

        String vm = first.api().body("""
                {"name": "survivor", "memoryMiB": 64, "boot": {"kernel": "/srv/vmlinuz"}}
                """).post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        for (MasterProcess standby : masters) {
            if (standby == first) {
                continue;
            }
            Response r = standby.api().redirects().follow(false).get("/api/v1/vms/" + vm);
            assertThat(r.statusCode()).as(r.asString()).isEqualTo(307);
            assertThat(r.header("Location")).isEqualTo(first.url() + "/api/v1/vms/" + vm);
            r.then().body("code", equalTo("NOT_ACTIVE_MASTER"));
            standby.api().get("/api/v1/vms/" + vm).then().statusCode(200).body("name", equalTo("survivor")); // followed
        }

        long killed = System.nanoTime();
        first.kill();
        MasterProcess next = null;
        while (next == null) {
            for (MasterProcess m : masters) {
                if (m != first && m.alive() && m.api().redirects().follow(false).get("/api/v1/vms/" + vm).statusCode() == 200) {
                    next = m;
                }
            }
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("a standby serves the API").isLessThan(T.multipliedBy(3));
            Thread.sleep(20);
        }
        Duration failover = Duration.ofNanos(System.nanoTime() - killed);
        System.out.printf("master failover: %d ms after the kill (T = %d s)%n", failover.toMillis(), T.toSeconds());
        assertThat(failover).as("failover within T").isLessThanOrEqualTo(T);
        next.api().get("/api/v1/pool/ha").then().body("master.active", equalTo(true));
        long epoch2 = ((Number) next.api().get("/api/v1/pool/ha").then().extract().path("master.epoch")).longValue();
        assertThat(epoch2).as("the new master's epoch").isGreaterThan(epoch);
        next.api().get("/api/v1/tasks?status=running").then().statusCode(200).body("$", hasSize(0));
        for (MasterProcess m : masters) {
            if (m != first && m != next) {
                m.api().redirects().follow(false).get("/api/v1/vms").then().statusCode(307)
                        .header("Location", startsWith(next.url()));
            }
        }

        // The killed instance comes back as a standby.
        first.start("master-2.log");
        assertThat(awaitOneActive(Duration.ofSeconds(10))).isSameAs(next);
        first.api().redirects().follow(false).get("/api/v1/vms").then().statusCode(307).header("Location", startsWith(next.url()));

        // The active instance frozen (SIGSTOP: a hung JVM, a paused VM) past its lease: another takes over, and the frozen
        // one wakes up as a standby — it never acts as a second master.
        signal(next, "-STOP");
        try {
            MasterProcess third = null;
            long deadline = System.nanoTime() + T.multipliedBy(4).toNanos();
            while (third == null) {
                for (MasterProcess m : masters) {
                    if (m != next && active(m)) {
                        third = m;
                    }
                }
                assertThat(System.nanoTime()).as("a take-over from the frozen master").isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            signal(next, "-CONT");
        }
        MasterProcess now = awaitOneActive(Duration.ofSeconds(10));
        assertThat(now).isNotSameAs(next);
        Thread.sleep(T.toMillis());
        assertThat(active(next)).as("the woken instance is a standby").isFalse();
        assertThat(awaitOneActive(Duration.ofSeconds(5))).isSameAs(now);
        next.api().redirects().follow(false).get("/api/v1/vms/" + vm).then().statusCode(307).header("Location", startsWith(now.url()));

        // A retired instance leaves the pool (and the quorum): refused while it runs, removed once stopped.
        MasterProcess retired = masters.stream().filter(m -> m != now).findFirst().orElseThrow();
        String name = "m" + masters.indexOf(retired);
        now.api().delete("/api/v1/pool/masters/" + name).then().statusCode(409).body("message", org.hamcrest.Matchers.containsString("stop it first"));
        now.api().delete("/api/v1/pool/masters/nobody").then().statusCode(404);
        retired.kill();
        long until = System.nanoTime() + T.multipliedBy(3).toNanos();
        while (now.api().delete("/api/v1/pool/masters/" + name).statusCode() != 204) {
            assertThat(System.nanoTime()).as("instance %s removed once it left the view", name).isLessThan(until);
            Thread.sleep(100);
        }
        now.api().get("/api/v1/pool/masters").then().statusCode(200).body("$", hasSize(2)).body("name", org.hamcrest.Matchers.not(
                org.hamcrest.Matchers.hasItem(name)));
        assertThat(awaitOneActive(Duration.ofSeconds(5))).isSameAs(now);
    }

    private static void signal(MasterProcess m, String signal) throws Exception {
        Process kill = new ProcessBuilder(List.of("kill", signal, Long.toString(m.pid()))).inheritIO().start();
        assertThat(kill.waitFor()).as("kill %s %d", signal, m.pid()).isZero();
    }
}
