package io.atoll.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.guests.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The QMP client against a real QEMU started by hand: commands, events, timeouts, QEMU dying mid-command. */
class QmpClientIT {
    private static final Duration T = Duration.ofSeconds(10);
    private Path dir;
    private Process qemu;
    private QmpClient qmp;
    private final BlockingQueue<QmpEvent> events = new LinkedBlockingQueue<>();
    private final UUID uuid = UUID.randomUUID();

    @BeforeEach
    void startQemu() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "atoll-qmp-");
        Path sock = dir.resolve("qmp.sock");
        qemu = new ProcessBuilder("qemu-system-x86_64", "-accel", "tcg", "-m", "32", "-nodefaults", "-display", "none",
                "-S", "-uuid", uuid.toString(), "-name", "qmp-test",
                "-drive", "file=" + TestGuests.counterImage() + ",format=raw,if=virtio,readonly=on",
                "-qmp", "unix:" + sock + ",server=on,wait=off")
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile()).start();
        long deadline = System.nanoTime() + T.toNanos();
        while (!Files.exists(sock)) {
            assertThat(qemu.isAlive()).as("qemu runs: %s", Files.exists(dir.resolve("qemu.out")) ? Files.readString(dir.resolve("qemu.out")) : "").isTrue();
            assertThat(System.nanoTime()).as("QMP socket appears").isLessThan(deadline);
            Thread.sleep(10);
        }
        qmp = QmpClient.connect(sock, "qmp-test", T);
        qmp.onEvent(events::add);
    }

    @AfterEach
    void stopQemu() throws Exception {
        if (qmp != null) {
            qmp.close();
        }
        if (qemu.isAlive()) {
            qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private QmpEvent nextEvent(String name) throws InterruptedException {
        while (true) {
            QmpEvent e = events.poll(T.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(e).as("event %s arrives", name).isNotNull();
            if (e.name().equals(name)) {
                return e;
            }
        }
    }

    @Test
    void typedCommandsAnswerAndEventsArrive() throws Exception {
        assertThat(qmp.greeting().path("version").path("qemu").path("major").asInt()).isGreaterThanOrEqualTo(7);
        assertThat(qmp.execute(new QmpCommand.QueryUuid(), T).UUID()).isEqualTo(uuid.toString());
        assertThat(qmp.execute(new QmpCommand.QueryName(), T).name()).isEqualTo("qmp-test");
        QmpCommand.StatusInfo status = qmp.execute(new QmpCommand.QueryStatus(), T);
        assertThat(status.running()).isFalse();
        assertThat(status.status()).isEqualTo("prelaunch");

        qmp.execute(new QmpCommand.Cont(), T);
        assertThat(nextEvent("RESUME")).isNotNull();
        assertThat(qmp.execute(new QmpCommand.QueryStatus(), T).running()).isTrue();
        qmp.execute(new QmpCommand.Stop(), T);
        assertThat(nextEvent("STOP").timestamp()).isNotNull();
        qmp.execute(new QmpCommand.SystemReset(), T);
        assertThat(nextEvent("RESET").data().path("guest").asBoolean(true)).isFalse();
        assertThat(qmp.execute(new QmpCommand.QueryMigrate(), T).status()).isNull();
        assertThat(qmp.execute(new QmpCommand.QueryBlock(), T).isArray()).isTrue();
        assertThat(qmp.execute(new QmpCommand.HumanMonitorCommand("info status"), T)).contains("paused");
    }

    @Test
    void qemuErrorsCarryTheirClassAndDescription() {
        assertThatThrownBy(() -> qmp.execute(new QmpCommand.Raw("no-such-command", Map.of()), T))
                .isInstanceOfSatisfying(QmpException.CommandFailed.class, e -> {
                    assertThat(e.errorClass()).isEqualTo("CommandNotFound");
                    assertThat(e.getMessage()).contains("no-such-command");
                });
        assertThatThrownBy(() -> qmp.execute(new QmpCommand.Raw("block_resize", Map.of("node-name", "nope", "size", 1)), T))
                .isInstanceOfSatisfying(QmpException.CommandFailed.class, e -> assertThat(e.description()).contains("nope"));
    }

    @Test
    void aCommandTimesOutWhenQemuDoesNotAnswerAndTheConnectionStaysUsable() throws Exception {
        long pid = qemu.pid();
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        try {
            assertThatThrownBy(() -> qmp.execute(new QmpCommand.QueryStatus(), Duration.ofMillis(300)))
                    .isInstanceOf(QmpException.Timeout.class).hasMessageContaining("no answer within 300 ms");
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        assertThat(qmp.execute(new QmpCommand.QueryName(), T).name()).isEqualTo("qmp-test");
    }

    @Test
    void qemuDyingInTheMiddleOfACommandFailsItAndEndsTheConnection() throws Exception {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        qmp.onClose(() -> closed.complete(null));
        long pid = qemu.pid();
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        CompletableFuture<Object> pending = CompletableFuture.supplyAsync(() -> {
            try {
                return qmp.execute(new QmpCommand.QueryStatus(), T);
            } catch (QmpException e) {
                return e;
            }
        });
        Thread.sleep(200); // the command is on its way; now QEMU dies without answering
        qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        Object result = pending.get(T.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(result).isInstanceOf(QmpException.ConnectionClosed.class);
        closed.get(T.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(qmp.isOpen()).isFalse();
        assertThat(qmp.closedLocally()).isFalse();
        assertThatThrownBy(() -> qmp.execute(new QmpCommand.QueryStatus(), T)).isInstanceOf(QmpException.ConnectionClosed.class);
    }

    @Test
    void theEventsAreDeliveredInOrderAndTheCloseAfterThem() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        qmp.onEvent(e -> seen.add(e.name()));
        CompletableFuture<List<String>> atClose = new CompletableFuture<>();
        qmp.onClose(() -> atClose.complete(List.copyOf(seen)));
        qmp.execute(new QmpCommand.Cont(), T);
        qmp.execute(new QmpCommand.Stop(), T);
        qmp.execute(new QmpCommand.Quit(), T);
        assertThat(atClose.get(T.toMillis(), TimeUnit.MILLISECONDS)).containsSubsequence("RESUME", "STOP", "SHUTDOWN");
    }
}
