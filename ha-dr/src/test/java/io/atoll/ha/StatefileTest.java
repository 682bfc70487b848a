package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.ha.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatefileTest {
    @TempDir
    Path dir;

    @Test
    void heartbeatsAreWrittenAtomicallyAndReadBack() throws Exception {
        Statefile sf = new Statefile(dir);
        Instant at = Instant.parse("2026-11-27T20:00:00Z");
        sf.write(new Statefile.Heartbeat("host-a", 1, at));
        sf.write(new Statefile.Heartbeat("host-a", 2, at.plusSeconds(2)));
        sf.write(new Statefile.Heartbeat("host-b", 7, at));
        Files.writeString(dir.resolve("garbage.hb"), "{not a heartbeat");
        assertThat(sf.readAll()).containsOnlyKeys("host-a", "host-b");
        assertThat(sf.readAll().get("host-a")).isEqualTo(new Statefile.Heartbeat("host-a", 2, at.plusSeconds(2)));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void theWriterAdvancesItsCounterEveryIntervalAndNoticesFailure() throws Exception {
        HaTimings t = new HaTimings(Duration.ofSeconds(2));
        Path area = Files.createDirectory(dir.resolve("sr"));
        try (StatefileWriter w = new StatefileWriter(new Statefile(area), "host-a", t)) {
            Await.until(Duration.ofSeconds(5), () -> "counter " + w.counter(), () -> w.counter() >= 3);
            assertThat(new Statefile(area).readAll().get("host-a").counter()).isGreaterThanOrEqualTo(2);
            long ok = w.lastSuccessNanos();
            assertThat(ok).isNotEqualTo(Long.MIN_VALUE);
            // The storage goes away: writes fail and the last success stops moving.
            io.atoll.ha.testing.Commands.deleteTree(area);
            long failedFrom = w.counter();
            Await.until(Duration.ofSeconds(5), () -> "more attempts", () -> w.counter() >= failedFrom + 2);
            long stuck = w.lastSuccessNanos();
            Await.until(Duration.ofSeconds(5), () -> "another attempt", () -> w.counter() >= failedFrom + 3);
            assertThat(w.lastSuccessNanos()).isEqualTo(stuck);
        }
    }

    @Test
    void aStatefileInAnAreaReadsBackWhatItsWritersWrote() throws Exception {
        java.util.Map<String, byte[]> store = new java.util.concurrent.ConcurrentHashMap<>();
        Statefile.Area area = new Statefile.Area() {
            @Override
            public void write(String host, byte[] content) {
                store.put(host, content);
            }

            @Override
            public java.util.Map<String, byte[]> readAll() {
                return java.util.Map.copyOf(store);
            }
        };
        Statefile sf = new Statefile(area, "memory");
        Instant at = Instant.parse("2026-11-27T20:00:00Z");
        sf.write(new Statefile.Heartbeat("host-a", 3, at));
        store.put("junk", "nope".getBytes());
        assertThat(sf.readAll()).containsOnlyKeys("host-a");
        assertThat(sf.readAll().get("host-a")).isEqualTo(new Statefile.Heartbeat("host-a", 3, at));
        assertThat(sf.describe()).isEqualTo("memory");
        assertThat(sf.directory()).isNull();
    }
}
