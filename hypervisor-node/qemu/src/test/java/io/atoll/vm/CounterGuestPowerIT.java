package io.atoll.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.guests.GuestConsole;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmEvent;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every power operation on the counter guest, with real QEMU processes. The guest prints a counter
 * it keeps in RAM: pause, suspend and resume must show it continue, never start over; reboots
 * show a new boot banner.
 */
class CounterGuestPowerIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static TestHost host;

    @BeforeAll
    static void host() throws Exception {
        host = new TestHost();
    }

    @AfterAll
    static void cleanUp() {
        host.close();
    }

    /** Every value one more than the one before: the guest never restarted or went back. */
    private static void assertCountsUpWithoutRestart(GuestConsole console) {
        List<Long> values = console.counterValues();
        assertThat(values).isNotEmpty();
        for (int i = 1; i < values.size(); i++) {
            assertThat(values.get(i)).as("counter line %d of %s", i, values).isEqualTo(values.get(i - 1) + 1);
        }
        assertThat(console.counterBoots()).isEqualTo(1);
    }

    @Test
    void pauseStopsTheCounterAndUnpauseContinuesIt() throws Exception {
        VmSpec spec = host.counterSpec("pause");
        VmInfo vm = host.createAndStart(spec);
        assertThat(vm.powerState()).isEqualTo(VmPowerState.RUNNING);
        assertThat(vm.pid()).isNotNull();
        assertThat(vm.accelerator()).isIn("tcg", "kvm");
        GuestConsole console = host.console(spec.uuid());
        console.awaitCounterAbove(5, WAIT);

        // Paused: the counter holds still.
        assertThat(host.manager.pause(spec.uuid()).powerState()).isEqualTo(VmPowerState.PAUSED);
        long atPause = console.lastCounter().orElseThrow();
        Thread.sleep(700); // a paused guest must print nothing for a while: waiting is the test
        assertThat(console.lastCounter().orElseThrow()).isLessThanOrEqualTo(atPause + 1);
        long held = console.lastCounter().orElseThrow();

        // Unpaused: it continues from where it stood.
        assertThat(host.manager.unpause(spec.uuid()).powerState()).isEqualTo(VmPowerState.RUNNING);
        console.awaitCounterAbove(held + 5, WAIT);
        assertCountsUpWithoutRestart(console);

        // A second pause while paused is refused with the state named.
        host.manager.pause(spec.uuid());
        assertThatThrownBy(() -> host.manager.pause(spec.uuid()))
                .isInstanceOfSatisfying(NodeException.class, e -> {
                    assertThat(e.code()).isEqualTo(NodeErrorCode.OPERATION_NOT_ALLOWED);
                    assertThat(e.getMessage()).contains("is paused").contains("'pause' needs a VM that is running");
                });
        host.manager.shutdown(spec.uuid(), new ShutdownRequest(true, null));
    }

    @Test
    void suspendSavesTheMemoryAndResumeContinuesTheCounter() throws Exception {
        VmSpec spec = host.counterSpec("suspend");
        host.createAndStart(spec);
        GuestConsole console = host.console(spec.uuid());
        long before = console.awaitCounterAbove(5, WAIT);

        VmInfo suspended = host.manager.suspend(spec.uuid());
        assertThat(suspended.powerState()).isEqualTo(VmPowerState.SUSPENDED);
        assertThat(suspended.pid()).isNull();
        VmPaths paths = host.manager.paths(spec.uuid());
        assertThat(Files.size(paths.suspendImage())).isGreaterThan(0);
        assertThat(paths.runDir()).doesNotExist();
        assertThat(host.qemuProcesses()).isEmpty();

        VmInfo resumed = host.manager.resume(spec.uuid());
        assertThat(resumed.powerState()).isEqualTo(VmPowerState.RUNNING);
        console.awaitCounterAbove(before + 10, WAIT);
        assertCountsUpWithoutRestart(console);
        assertThat(paths.suspendImage()).doesNotExist();

        // Suspend from paused, then a hard shutdown discards the saved state.
        host.manager.pause(spec.uuid());
        host.manager.suspend(spec.uuid());
        assertThat(host.manager.shutdown(spec.uuid(), new ShutdownRequest(true, null)).powerState()).isEqualTo(VmPowerState.HALTED);
        assertThat(paths.suspendImage()).doesNotExist();
    }

    @Test
    void hardRebootResetsTheGuestAndCleanRebootStartsAFreshQemu() throws Exception {
        VmSpec spec = host.counterSpec("reboot");
        VmInfo first = host.createAndStart(spec);
        GuestConsole console = host.console(spec.uuid());
        console.awaitCounterAbove(3, WAIT);

        // Hard reboot: the reset button; same QEMU, the guest boots again.
        VmInfo reset = host.manager.reboot(spec.uuid(), new ShutdownRequest(true, null));
        assertThat(reset.pid()).isEqualTo(first.pid());
        awaitBoots(console, 2);

        // Clean reboot: the counter guest ignores ACPI, so after the timeout it is stopped hard and started again.
        VmInfo rebooted = host.manager.reboot(spec.uuid(), new ShutdownRequest(false, 1));
        assertThat(rebooted.powerState()).isEqualTo(VmPowerState.RUNNING);
        assertThat(rebooted.pid()).isNotEqualTo(first.pid());
        assertThat(Processes.isAlive(first.pid())).isFalse();
        awaitBoots(console, 3);
        host.manager.shutdown(spec.uuid(), new ShutdownRequest(true, null));
    }

    @Test
    void cleanShutdownTurnsHardWhenTheGuestIgnoresThePowerButton() throws Exception {
        VmSpec spec = host.counterSpec("clean-shutdown");
        VmInfo vm = host.createAndStart(spec);
        host.console(spec.uuid()).awaitCounterAbove(2, WAIT);
        long t0 = System.nanoTime();
        VmInfo halted = host.manager.shutdown(spec.uuid(), new ShutdownRequest(false, 2));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(halted.powerState()).isEqualTo(VmPowerState.HALTED);
        assertThat(ms).as("waited for the timeout before stopping hard").isGreaterThanOrEqualTo(1900);
        assertThat(Processes.isAlive(vm.pid())).isFalse();
        assertThat(host.manager.paths(spec.uuid()).runDir()).doesNotExist();
        // and it can start again
        assertThat(host.manager.start(spec.uuid()).powerState()).isEqualTo(VmPowerState.RUNNING);
        assertThat(host.manager.shutdown(spec.uuid(), new ShutdownRequest(true, null)).powerState()).isEqualTo(VmPowerState.HALTED);
    }

    @Test
    void killedQemuIsReportedCrashedWithItsLogAndCanStartAgain() throws Exception {
        VmSpec spec = host.counterSpec("crash");
        VmInfo vm = host.createAndStart(spec);
        host.console(spec.uuid()).awaitCounterAbove(2, WAIT);

        Processes.kill(vm.pid());
        VmInfo crashed = awaitState(spec, VmPowerState.CRASHED);
        assertThat(crashed.crashReason()).contains("exited unexpectedly");
        assertThat(crashed.pid()).isNull();
        assertThat(host.manager.paths(spec.uuid()).runDir()).doesNotExist();
        assertThat(host.manager.eventsSince(0)).anySatisfy(e -> {
            assertThat(e.vm()).isEqualTo(spec.uuid());
            assertThat(e.powerState()).isEqualTo(VmPowerState.CRASHED);
        });

        assertThat(host.manager.start(spec.uuid()).powerState()).isEqualTo(VmPowerState.RUNNING);
        host.manager.shutdown(spec.uuid(), new ShutdownRequest(true, null));
    }

    @Test
    void aRestartedManagerAdoptsRunningAndPausedVmsWithTheirTrueState() throws Exception {
        VmSpec running = host.counterSpec("adopt-running");
        VmSpec paused = host.counterSpec("adopt-paused");
        VmSpec halted = host.counterSpec("adopt-halted");
        long runningPid = host.createAndStart(running).pid();
        long pausedPid = host.createAndStart(paused).pid();
        host.manager.pause(paused.uuid());
        host.manager.create(halted);
        GuestConsole console = host.console(running.uuid());
        long before = console.awaitCounterAbove(2, WAIT);

        VmManager fresh = host.restartManager();
        assertThat(fresh.get(running.uuid())).satisfies(v -> {
            assertThat(v.powerState()).isEqualTo(VmPowerState.RUNNING);
            assertThat(v.pid()).isEqualTo(runningPid);
            assertThat(v.accelerator()).isNotNull();
        });
        assertThat(fresh.get(paused.uuid())).satisfies(v -> {
            assertThat(v.powerState()).isEqualTo(VmPowerState.PAUSED);
            assertThat(v.pid()).isEqualTo(pausedPid);
        });
        assertThat(fresh.get(halted.uuid()).powerState()).isEqualTo(VmPowerState.HALTED);
        console.awaitCounterAbove(before + 3, WAIT);
        assertCountsUpWithoutRestart(console);

        // The new manager drives them over QMP and still sees QEMU die.
        assertThat(fresh.unpause(paused.uuid()).powerState()).isEqualTo(VmPowerState.RUNNING);
        Processes.kill(runningPid);
        awaitState(running, VmPowerState.CRASHED);
        fresh.shutdown(paused.uuid(), new ShutdownRequest(true, null));
    }

    @Test
    void aSecondOperationWhileOneRunsIsRefusedNamingIt() throws Exception {
        VmSpec spec = host.counterSpec("busy");
        host.createAndStart(spec);
        CompletableFuture<VmInfo> shutdown = CompletableFuture.supplyAsync(
                () -> host.manager.shutdown(spec.uuid(), new ShutdownRequest(false, 3)));
        awaitOperation(spec, "clean_shutdown");
        assertThatThrownBy(() -> host.manager.pause(spec.uuid()))
                .isInstanceOfSatisfying(NodeException.class, e -> {
                    assertThat(e.code()).isEqualTo(NodeErrorCode.VM_BUSY);
                    assertThat(e.getMessage()).contains("'clean_shutdown' is in progress");
                });
        assertThat(shutdown.get().powerState()).isEqualTo(VmPowerState.HALTED);
    }

    @Test
    void diskSecretsReachQemuThroughPrivateFilesOnly() throws Exception {
        VmSpec base = host.counterSpec("secret");
        var d = base.disks().get(0);
        VmSpec spec = new VmSpec(base.uuid(), base.name(), 1, 32, null,
                List.of(new io.atoll.node.api.DiskSpec(d.id(), d.format(), d.source(), d.formatOptions(), false, d.bus(), 0,
                        java.util.Map.of("chap-disk0", "s3cr3t-value"))), List.of(), null, null);
        VmInfo vm = host.createAndStart(spec);
        String cmdline = Files.readString(java.nio.file.Path.of("/proc", vm.pid().toString(), "cmdline"));
        assertThat(cmdline).contains("secret,id=chap-disk0").doesNotContain("s3cr3t-value");
        assertThat(vm.spec().disks().get(0).secrets()).containsExactly(java.util.Map.entry("chap-disk0", "***"));
        assertThat(vm.spec().toString()).doesNotContain("s3cr3t-value");
        assertThat(host.manager.paths(spec.uuid()).secretsDir()).doesNotExist();
        host.manager.shutdown(spec.uuid(), new ShutdownRequest(true, null));
    }

    @Test
    void eventsFollowEachChange() throws Exception {
        long from = host.manager.eventsSince(0).stream().mapToLong(VmEvent::seq).max().orElse(0);
        VmSpec spec = host.counterSpec("events");
        host.createAndStart(spec);
        host.manager.pause(spec.uuid());
        host.manager.shutdown(spec.uuid(), new ShutdownRequest(true, null));
        host.manager.destroy(spec.uuid());
        List<String> seen = host.manager.eventsSince(from).stream().filter(e -> e.vm().equals(spec.uuid()))
                .map(e -> e.kind() + ":" + e.powerState()).toList();
        assertThat(seen).containsExactly("add:HALTED", "mod:RUNNING", "mod:PAUSED", "mod:HALTED", "del:HALTED");
        assertThatThrownBy(() -> host.manager.get(spec.uuid()))
                .isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo(NodeErrorCode.VM_NOT_FOUND));
    }

    private static VmInfo awaitState(VmSpec spec, VmPowerState state) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            VmInfo vm = host.manager.get(spec.uuid());
            if (vm.powerState() == state) {
                return vm;
            }
            assertThat(System.nanoTime()).as("vm %s reaches %s (now %s)", spec.name(), state, vm.powerState()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void awaitBoots(GuestConsole console, long boots) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (console.counterBoots() < boots) {
            assertThat(System.nanoTime()).as("the guest boots %d times", boots).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void awaitOperation(VmSpec spec, String operation) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!operation.equals(host.manager.get(spec.uuid()).currentOperation())) {
            assertThat(System.nanoTime()).as("operation %s starts", operation).isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
