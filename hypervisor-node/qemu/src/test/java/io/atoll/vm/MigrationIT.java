package io.atoll.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.guests.GuestConsole;
import io.atoll.node.api.IncomingInfo;
import io.atoll.node.api.IncomingRequest;
import io.atoll.node.api.MigrationProgress;
import io.atoll.node.api.MigrationRequest;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live migration between two hosts of one machine (two VM managers, shared disk files, TCP on
 * loopback): the counter guest continues on the target, never restarting or going back; a cancel
 * and a target dying mid-way both leave the VM running on the source and nothing on the target.
 */
class MigrationIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private TestHost source;
    private TestHost target;

    @BeforeEach
    void hosts() throws Exception {
        source = new TestHost();
        target = new TestHost();
    }

    @AfterEach
    void cleanUp() {
        try {
            source.close();
        } finally {
            target.close();
        }
    }

    @Test
    void theCounterGuestMovesAndCountsOn() throws Exception {
        VmSpec spec = source.counterSpec("mover");
        source.createAndStart(spec);
        GuestConsole before = source.console(spec.uuid());
        before.awaitCounterAbove(5, WAIT);

        IncomingInfo incoming = target.manager.receive(new IncomingRequest(spec, "127.0.0.1"));
        assertThat(incoming.uri()).startsWith("tcp:127.0.0.1:");
        assertThat(target.manager.get(spec.uuid()).currentOperation()).isEqualTo("migrate_receive");

        // The source's console log goes with the VM: follow it until then.
        java.util.concurrent.atomic.AtomicLong lastSeen = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean migrating = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread follower = new Thread(() -> {
            while (migrating.get()) {
                try {
                    before.lastCounter().ifPresent(v -> lastSeen.accumulateAndGet(v, Math::max));
                } catch (IllegalStateException gone) {
                    // the log was removed with the VM
                }
                Thread.onSpinWait();
            }
        });
        follower.start();
        source.manager.migrate(spec.uuid(), new MigrationRequest(incoming.uri()));
        migrating.set(false);
        follower.join();
        assertThat(source.manager.list()).isEmpty();
        assertThat(source.qemuProcesses()).isEmpty();
        VmInfo there = awaitState(target, spec.uuid(), VmPowerState.RUNNING);
        assertThat(there.pid()).isNotNull();
        assertThat(there.currentOperation()).isNull();

        long lastHere = lastSeen.get();
        assertThat(lastHere).isGreaterThan(5);
        GuestConsole after = target.console(spec.uuid());
        long firstThere = after.awaitCounterAbove(0, WAIT);
        after.awaitCounterAbove(lastHere + 10, WAIT);
        assertThat(after.counterBoots()).as("no reboot on the target").isZero();
        List<Long> values = after.counterValues();
        assertThat(values.get(0)).as("first value on the target continues the source's").isBetween(lastHere - 1, lastHere + 5);
        for (int i = 1; i < values.size(); i++) {
            assertThat(values.get(i)).isEqualTo(values.get(i - 1) + 1);
        }
        assertThat(firstThere).isGreaterThanOrEqualTo(lastHere - 1);
    }

    @Test
    void cancellingMidWayLeavesTheVmRunningOnTheSource() throws Exception {
        VmSpec spec = source.counterSpec("cancelled");
        long pid = source.createAndStart(spec).pid();
        source.console(spec.uuid()).awaitCounterAbove(2, WAIT);
        IncomingInfo incoming = target.manager.receive(new IncomingRequest(spec, "127.0.0.1"));
        // 1 MiB/s: the 32 MiB guest takes half a minute, time enough to cancel
        CompletableFuture<VmInfo> migration = CompletableFuture.supplyAsync(() -> source.manager.migrate(spec.uuid(),
                new MigrationRequest(incoming.uri(), null, null, 1L, false, false)));
        awaitProgress(spec.uuid());
        assertThatThrownBy(() -> source.manager.migrate(spec.uuid(), new MigrationRequest(incoming.uri())))
                .isInstanceOfSatisfying(NodeException.class, e -> {
                    assertThat(e.code()).isEqualTo(NodeErrorCode.VM_BUSY);
                    assertThat(e.getMessage()).contains("'migrate_send' is in progress");
                });
        source.manager.cancelMigration(spec.uuid());
        assertThatThrownBy(migration::get).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo(NodeErrorCode.MIGRATION_CANCELLED));

        assertStillRunningHere(spec, pid);
        awaitGone(target, spec.uuid());
    }

    @Test
    void theTargetDyingMidWayLeavesTheVmRunningOnTheSource() throws Exception {
        VmSpec spec = source.counterSpec("orphaned");
        long pid = source.createAndStart(spec).pid();
        source.console(spec.uuid()).awaitCounterAbove(2, WAIT);
        IncomingInfo incoming = target.manager.receive(new IncomingRequest(spec, "127.0.0.1"));
        long targetPid = target.manager.get(spec.uuid()).pid();
        CompletableFuture<VmInfo> migration = CompletableFuture.supplyAsync(() -> source.manager.migrate(spec.uuid(),
                new MigrationRequest(incoming.uri(), null, null, 1L, false, false)));
        awaitProgress(spec.uuid());
        Processes.kill(targetPid);
        assertThatThrownBy(migration::get).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo(NodeErrorCode.MIGRATION_FAILED));

        assertStillRunningHere(spec, pid);
        awaitGone(target, spec.uuid());
    }

    @Test
    void aVmRunningOnTheTargetAlreadyCannotMigrateIn() throws Exception {
        VmSpec spec = target.counterSpec("twice");
        target.createAndStart(spec);
        assertThatThrownBy(() -> target.manager.receive(new IncomingRequest(spec, "127.0.0.1")))
                .isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo(NodeErrorCode.OPERATION_NOT_ALLOWED));
        target.manager.shutdown(spec.uuid(), new ShutdownRequest(true, null));
    }

    private void assertStillRunningHere(VmSpec spec, long pid) {
        VmInfo here = source.manager.get(spec.uuid());
        assertThat(here.powerState()).isEqualTo(VmPowerState.RUNNING);
        assertThat(here.pid()).isEqualTo(pid);
        GuestConsole console = source.console(spec.uuid());
        long now = console.lastCounter().orElseThrow();
        console.awaitCounterAbove(now + 3, WAIT);
        assertThat(console.counterBoots()).isEqualTo(1);
    }

    private void awaitProgress(UUID uuid) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                MigrationProgress p = source.manager.migrationProgress(uuid);
                if ("active".equals(p.status()) && p.transferredBytes() > 0) {
                    assertThat(p.totalBytes()).isPositive();
                    assertThat(p.downtimeLimitMs()).isEqualTo(100);
                    return;
                }
            } catch (NodeException notYet) {
                // not started yet
            }
            assertThat(System.nanoTime()).as("the migration makes progress").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static VmInfo awaitState(TestHost host, UUID uuid, VmPowerState state) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            VmInfo vm = host.manager.get(uuid);
            if (vm.powerState() == state && vm.currentOperation() == null) {
                return vm;
            }
            assertThat(System.nanoTime()).as("vm reaches %s (now %s)", state, vm.powerState()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void awaitGone(TestHost host, UUID uuid) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (host.manager.list().stream().anyMatch(v -> v.uuid().equals(uuid)) || !host.qemuProcesses().isEmpty()) {
            assertThat(System.nanoTime()).as("the target is cleaned up").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
