package io.atoll.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.guests.GuestConsole;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmEvent;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Linux test guest (Debian's cloud kernel, a busybox initramfs) boots to its ready line,
 * writes and verifies data on its virtio disk, and powers off cleanly on the ACPI power button;
 * the data is still there at the next boot.
 */
class LinuxGuestIT {
    private static final Duration BOOT = Duration.ofSeconds(60);
    private static final Duration COMMAND = Duration.ofSeconds(30);
    private static TestHost host;

    @BeforeAll
    static void host() throws Exception {
        host = new TestHost();
    }

    @AfterAll
    static void cleanUp() {
        host.close();
    }

    @Test
    void bootsWritesVerifiesAndShutsDownCleanlyThroughAcpi() {
        VmSpec spec = host.linuxSpec("linux", true);
        VmInfo vm = host.createAndStart(spec);
        GuestConsole console = host.console(spec.uuid());
        String ready = console.await(l -> l.startsWith("ATOLL-GUEST READY"), BOOT, "ATOLL-GUEST READY");
        assertThat(ready).contains("disk=vda");

        String wrote = console.command("write data 4", "ATOLL-GUEST WROTE data", COMMAND);
        assertThat(wrote).matches("ATOLL-GUEST WROTE data [0-9a-f]{64}");
        assertThat(console.command("verify data", "ATOLL-GUEST VERIFY data", COMMAND)).isEqualTo("ATOLL-GUEST VERIFY data OK");

        // A clean shutdown: the guest hears the power button and powers itself off well before the timeout.
        long t0 = System.nanoTime();
        VmInfo halted = host.manager.shutdown(spec.uuid(), new ShutdownRequest(false, 30));
        long seconds = (System.nanoTime() - t0) / 1_000_000_000;
        assertThat(halted.powerState()).isEqualTo(VmPowerState.HALTED);
        assertThat(seconds).as("the guest powered off by itself").isLessThan(30);
        assertThat(console.lines()).contains("ATOLL-GUEST POWEROFF");
        assertThat(Processes.isAlive(vm.pid())).isFalse();

        // The data survived: boot again and verify.
        int skip = console.lines().size();
        host.manager.start(spec.uuid());
        console.await(l -> l.startsWith("ATOLL-GUEST READY"), skip, BOOT, "a second ATOLL-GUEST READY");
        assertThat(console.command("verify data", "ATOLL-GUEST VERIFY data", COMMAND)).isEqualTo("ATOLL-GUEST VERIFY data OK");

        // A poweroff from inside the guest: QEMU exits and the VM is halted, not crashed.
        long from = host.manager.eventsSince(0).stream().mapToLong(VmEvent::seq).max().orElse(0);
        console.send("poweroff");
        long deadline = System.nanoTime() + COMMAND.toNanos();
        while (host.manager.get(spec.uuid()).powerState() != VmPowerState.HALTED) {
            assertThat(System.nanoTime()).as("the guest powers itself off").isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(host.manager.eventsSince(from)).anySatisfy(e -> assertThat(e.detail()).contains("guest-shutdown"));
    }
}
