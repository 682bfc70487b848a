package io.atoll.storage.nfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every {@link io.atoll.storage.qcow2.ImageStore} method of the NFS store against a real NFS
 * server (nfs-ganesha on 127.0.0.1), checked also on the exported directory itself.
 */
class NfsImageStoreIT {
    static GaneshaServer server;
    NfsImageStore store;
    String path;

    @BeforeAll
    static void startServer() throws Exception {
        server = GaneshaServer.launch();
        System.out.printf("ganesha: ready %d ms after start%n", server.lastStart().toMillis());
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void newStore() {
        path = "it-" + UUID.randomUUID().toString().substring(0, 8);
        store = store(path, NfsImageStore.DEFAULT_TIMEOUT);
        store.initialize();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    static NfsImageStore store(String path, Duration timeout) {
        return new NfsImageStore(new NfsLocation(GaneshaServer.HOST, server.exportPath(), path), NfsImageStore.PORTMAPPER_PORT, timeout);
    }

    Path onServer() {
        return server.exportDir().resolve(path);
    }

    @Test
    void initializeCreatesTheDirectoryAcceptsAnEmptyOneAndRefusesOneWithFiles() throws Exception {
        assertThat(onServer()).isDirectory();
        store.initialize(); // empty: fine again
        store.write("a.properties", "x=1\n");
        assertThatThrownBy(store::initialize).isInstanceOf(StorageException.class)
                .hasMessageContaining("a.properties").extracting(e -> ((StorageException) e).code())
                .isEqualTo(StorageErrorCode.INVALID_ARGUMENT);

        try (NfsImageStore nested = store(path + "/deeper/still", NfsImageStore.DEFAULT_TIMEOUT)) {
            nested.initialize();
            assertThat(onServer().resolve("deeper/still")).isDirectory();
            nested.destroy();
            assertThat(onServer().resolve("deeper/still")).doesNotExist();
        }
    }

    @Test
    void writesReadsListsAndDeletesRecords() throws Exception {
        assertThat(store.read("vdi-1.properties")).isNull();
        assertThat(store.exists("vdi-1.properties")).isFalse();

        store.write("vdi-1.properties", "name=first\n");
        store.write("vdi-2.properties", "name=second\n");
        store.write("vdi-1.properties", "name=first, renamed\n");

        assertThat(store.read("vdi-1.properties")).isEqualTo("name=first, renamed\n");
        assertThat(Files.readString(onServer().resolve("vdi-1.properties"))).isEqualTo("name=first, renamed\n");
        assertThat(store.exists("vdi-2.properties")).isTrue();
        assertThat(store.list()).containsExactly("vdi-1.properties", "vdi-2.properties"); // no temporaries left
        assertThat(onServer().toFile().list()).containsExactlyInAnyOrder("vdi-1.properties", "vdi-2.properties");

        store.delete("vdi-1.properties");
        store.delete("vdi-1.properties"); // gone already: nothing
        assertThat(store.list()).containsExactly("vdi-2.properties");
        store.write("empty", "");
        assertThat(store.read("empty")).isEmpty();
        String big = "x".repeat(300_000); // several WRITE and READ calls
        store.write("big", big);
        assertThat(store.read("big")).isEqualTo(big);
    }

    @Test
    void createClaimsANameOnce() throws Exception {
        assertThat(store.create("sr.properties", "uuid=1\n")).isTrue();
        assertThat(store.create("sr.properties", "uuid=2\n")).isFalse();
        assertThat(store.read("sr.properties")).isEqualTo("uuid=1\n");
        assertThat(onServer().toFile().list()).containsExactly("sr.properties");
    }

    @Test
    void ofTwoThreadsClaimingOneNameExactlyOneWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (NfsImageStore other = store(path, NfsImageStore.DEFAULT_TIMEOUT)) {
            for (int round = 0; round < 30; round++) {
                String name = "att-" + round + ".properties";
                CyclicBarrier start = new CyclicBarrier(2);
                Future<Boolean> a = pool.submit(() -> {
                    start.await();
                    return store.create(name, "host=a\n");
                });
                Future<Boolean> b = pool.submit(() -> {
                    start.await();
                    return other.create(name, "host=b\n");
                });
                boolean wonA = a.get(10, TimeUnit.SECONDS);
                boolean wonB = b.get(10, TimeUnit.SECONDS);
                assertThat(wonA ^ wonB).as("round %d: exactly one claim wins", round).isTrue();
                assertThat(store.read(name)).isEqualTo(wonA ? "host=a\n" : "host=b\n");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.list()).hasSize(30);
    }

    @Test
    void readersNeverSeeAHalfWrittenRecord() throws Exception {
        // Larger than one WRITE: a reader of a file written in place would see a mix.
        String a = "a".repeat(150_000);
        String b = "b".repeat(90_000);
        store.write("rec", a);
        AtomicBoolean stop = new AtomicBoolean();
        List<String> bad = new CopyOnWriteArrayList<>();
        List<Integer> reads = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            readers.add(pool.submit(() -> {
                int n = 0;
                while (!stop.get()) {
                    String seen = store.read("rec");
                    if (!a.equals(seen) && !b.equals(seen)) {
                        bad.add(seen == null ? "null" : seen.length() + " chars starting " + seen.charAt(0));
                    }
                    n++;
                }
                reads.add(n);
            }));
        }
        for (int i = 0; i < 100; i++) {
            store.write("rec", i % 2 == 0 ? b : a);
        }
        stop.set(true);
        for (Future<?> f : readers) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        System.out.printf("concurrent: 100 writes, %s reads by 3 readers%n", reads);
        assertThat(bad).isEmpty();
        assertThat(reads).allSatisfy(n -> assertThat(n).isPositive());
    }

    @Test
    void reportsSpaceAndAllocation() throws Exception {
        long[] space = store.space();
        assertThat(space[0]).isPositive();
        assertThat(space[1]).isBetween(0L, space[0]);
        store.write("big", "y".repeat(1 << 20));
        assertThat(store.allocated("big")).isGreaterThanOrEqualTo(1 << 20);
        assertThatThrownBy(() -> store.allocated("missing")).isInstanceOf(StorageException.class)
                .extracting(e -> ((StorageException) e).code()).isEqualTo(StorageErrorCode.NOT_FOUND);
    }

    @Test
    void destroyRemovesTheDirectoryWithEverythingInIt() throws Exception {
        store.write("vdi-1.properties", "x\n");
        Files.writeString(onServer().resolve(".vdi-2.properties.tmp-dead"), "left by a crash");
        store.destroy();
        assertThat(onServer()).doesNotExist();
        store.destroy(); // gone already: nothing
        assertThat(store.list()).isEmpty();
        assertThat(store.read("vdi-1.properties")).isNull();
        assertThat(store.exists("vdi-1.properties")).isFalse();
        store.delete("vdi-1.properties");
        assertThatThrownBy(() -> store.write("x", "y")).isInstanceOf(StorageException.class)
                .extracting(e -> ((StorageException) e).code()).isEqualTo(StorageErrorCode.NOT_FOUND);
        assertThatThrownBy(store::checkReachable).isInstanceOf(StorageException.class)
                .extracting(e -> ((StorageException) e).code()).isEqualTo(StorageErrorCode.NOT_FOUND);
        store.checkReachableOrAbsent();
    }

    @Test
    void namesFilesTheWayQemuDoes() {
        String dir = server.exportPath() + "/" + path;
        assertThat(store.location("img-1.qcow2")).isEqualTo("nfs://127.0.0.1" + dir + "/img-1.qcow2");
        assertThat(store.protocol("img-1.qcow2")).containsEntry("driver", "nfs").containsEntry("path", dir + "/img-1.qcow2")
                .containsEntry("server", java.util.Map.of("type", "inet", "host", "127.0.0.1"));
        assertThatThrownBy(() -> store.read("../escape")).isInstanceOf(StorageException.class);
    }

    @Test
    void refusesAnExportTheServerDoesNotHave() {
        try (NfsImageStore wrong = new NfsImageStore(new NfsLocation(GaneshaServer.HOST, "/no/such/export", "x"))) {
            assertThatThrownBy(wrong::checkReachableOrAbsent).isInstanceOf(StorageException.class)
                    .hasMessageContaining("/no/such/export").extracting(e -> ((StorageException) e).code())
                    .isEqualTo(StorageErrorCode.NOT_FOUND);
        }
    }

    @Test
    void measuresLatency() {
        int n = 200;
        store.write("warm", "x");
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            store.write("rec-" + (i % 10), "value=" + i + "\n");
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            store.read("rec-" + (i % 10));
        }
        long t2 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            store.create("claim-" + i, "c");
        }
        long t3 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            store.exists("rec-" + (i % 10));
        }
        long t4 = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            store.list();
        }
        long t5 = System.nanoTime();
        System.out.printf("latency per op: write %.2f ms, read %.2f ms, create %.2f ms, exists %.2f ms, list (%d files) %.2f ms%n",
                (t1 - t0) / 1e6 / n, (t2 - t1) / 1e6 / n, (t3 - t2) / 1e6 / n, (t4 - t3) / 1e6 / n, store.list().size(),
                (t5 - t4) / 1e6 / 20);
        assertThat((t1 - t0) / n).as("a record write").isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
    }
}
