package io.atoll.storage.nfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The NFS server goes away (stopped: connections refused; paused: connections open, no answer):
 * every store operation fails with UNAVAILABLE naming the server within a few seconds, and works
 * again, with the data intact, once the server is back.
 */
class NfsServerOutageIT {
    static GaneshaServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = GaneshaServer.launch();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static NfsImageStore newStore(Duration timeout) {
        NfsImageStore s = new NfsImageStore(new NfsLocation(GaneshaServer.HOST, server.exportPath(),
                "outage-" + UUID.randomUUID().toString().substring(0, 8)), NfsImageStore.PORTMAPPER_PORT, timeout);
        s.initialize();
        s.write("vdi-1.properties", "name=kept\n");
        return s;
    }

    /** Every ImageStore operation that talks to the server. */
    static Map<String, Executable> operations(NfsImageStore s) {
        Map<String, Executable> ops = new LinkedHashMap<>();
        ops.put("exists", () -> s.exists("vdi-1.properties"));
        ops.put("list", s::list);
        ops.put("read", () -> s.read("vdi-1.properties"));
        ops.put("write", () -> s.write("vdi-2.properties", "x"));
        ops.put("create", () -> s.create("claim", "x"));
        ops.put("delete", () -> s.delete("vdi-1.properties"));
        ops.put("space", s::space);
        ops.put("allocated", () -> s.allocated("vdi-1.properties"));
        ops.put("initialize", s::initialize);
        ops.put("destroy", s::destroy);
        ops.put("checkReachable", s::checkReachable);
        ops.put("checkReachableOrAbsent", s::checkReachableOrAbsent);
        return ops;
    }

    static void assertAllUnavailableWithin(Map<String, Executable> operations, Duration bound) {
        operations.forEach((name, op) -> {
            long t0 = System.nanoTime();
            StorageException e = catchThrowableOfType(op::execute, StorageException.class);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(e).as(name + " while the server is away").isNotNull();
            assertThat(e.code()).as(name + ": " + e.getMessage()).isEqualTo(StorageErrorCode.UNAVAILABLE);
            assertThat(e.getMessage()).contains(GaneshaServer.HOST, server.exportPath());
            assertThat(took).as(name + " took").isLessThan(bound);
            System.out.printf("  %s: UNAVAILABLE after %d ms%n", name, took.toMillis());
        });
    }

    @Test
    void aStoppedServerGivesUnavailableAtOnceAndNothingIsLost() throws Exception {
        try (NfsImageStore s = newStore(NfsImageStore.DEFAULT_TIMEOUT)) {
            long t0 = System.nanoTime();
            server.stop();
            System.out.printf("ganesha stopped in %d ms; operations while stopped:%n", (System.nanoTime() - t0) / 1_000_000);
            try {
                assertAllUnavailableWithin(operations(s), Duration.ofSeconds(3));
            } finally {
                server.start();
            }
            System.out.printf("ganesha restarted, serving after %d ms%n", server.lastStart().toMillis());
            // the pooled connections died with the server: the store reconnects by itself
            assertThat(s.read("vdi-1.properties")).isEqualTo("name=kept\n");
            s.write("vdi-2.properties", "after\n");
            assertThat(s.list()).containsExactly("vdi-1.properties", "vdi-2.properties");
            s.destroy();
        }
    }

    @Test
    void aHungServerGivesUnavailableWithinTheTimeout() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        try (NfsImageStore s = newStore(timeout)) {
            Map<String, Executable> ops = operations(s);
            // they would be carried out when the server wakes up: see the test below
            ops.remove("delete");
            ops.remove("destroy");
            server.pause();
            try {
                System.out.println("operations while ganesha is frozen (SIGSTOP), timeout 1 s:");
                assertAllUnavailableWithin(ops, timeout.plusSeconds(2));
            } finally {
                server.resume();
            }
            assertThat(s.read("vdi-1.properties")).isEqualTo("name=kept\n");
            assertThat(s.list()).containsExactly("vdi-1.properties"); // a late CREATE leaves only hidden temporaries
            s.destroy();
        }
    }

    /**
     * NFS cannot take a request back: one the server received but did not answer in time may
     * still be carried out when it wakes up. UNAVAILABLE from a hung server means "not known".
     */
    @Test
    void aRequestTheHungServerDidNotAnswerMayStillBeCarriedOutLater() throws Exception {
        try (NfsImageStore s = newStore(Duration.ofSeconds(1))) {
            server.pause();
            try {
                StorageException e = catchThrowableOfType(() -> s.delete("vdi-1.properties"), StorageException.class);
                assertThat(e.code()).isEqualTo(StorageErrorCode.UNAVAILABLE);
            } finally {
                server.resume();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (s.exists("vdi-1.properties") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(s.exists("vdi-1.properties")).as("deleted after all, once the server woke up").isFalse();
            s.destroy();
        }
    }
}
