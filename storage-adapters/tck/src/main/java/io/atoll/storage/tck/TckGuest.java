package io.atoll.storage.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import io.atoll.storage.spi.DiskAttachment;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** The Linux test guest running on one disk of the adapter under test. */
public final class TckGuest implements AutoCloseable {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration COMMAND = Duration.ofSeconds(60);
    private final TckHosts hosts;
    private final VmSpec spec;
    private final GuestConsole console;

    private TckGuest(TckHosts hosts, VmSpec spec) {
        this.hosts = hosts;
        this.spec = spec;
        var paths = hosts.vms.paths(spec.uuid());
        this.console = new GuestConsole(paths.consoleLog(), paths.serialSocket());
    }

    /** Boots the Linux test guest with the disk as {@code disk0} and waits for its ready line. */
    public static TckGuest boot(TckHosts hosts, DiskAttachment disk) {
        UUID uuid = UUID.randomUUID();
        VmSpec spec = new VmSpec(uuid, "tck-" + uuid.toString().substring(0, 8), 1, 192,
                new BootSpec(TestGuests.linuxKernel().toString(), TestGuests.linuxInitrd().toString(), TestGuests.linuxCmdline()),
                List.of(TckHosts.diskSpec("disk0", disk, null)), List.of(), Accelerator.AUTO, null);
        hosts.vms.create(spec);
        TckGuest guest = new TckGuest(hosts, spec);
        try {
            hosts.vms.start(uuid);
            String ready = guest.console.await(l -> l.startsWith("ATOLL-GUEST READY"), BOOT, "ATOLL-GUEST READY");
            assertThat(ready).contains("disk=vda");
        } catch (RuntimeException | Error e) {
            guest.close();
            throw e;
        }
        return guest;
    }

    /** Writes {@code mib} MiB of random data to a file on the guest's disk and syncs. */
    public void write(String name, int mib) {
        assertThat(console.command("write " + name + " " + mib, "ATOLL-GUEST WROTE " + name, COMMAND))
                .matches("ATOLL-GUEST WROTE " + name + " [0-9a-f]{64}");
    }

    /** The VM's uuid in the host runtime. */
    public UUID uuid() {
        return spec.uuid();
    }

    /** Starts a write and returns what waits for its end: the test does other things meanwhile. */
    public Runnable beginWrite(String name, int mib) {
        int skip = console.lines().size();
        console.send("write " + name + " " + mib);
        return () -> assertThat(console.await(l -> l.startsWith("ATOLL-GUEST WROTE " + name), skip, COMMAND, "WROTE " + name))
                .matches("ATOLL-GUEST WROTE " + name + " [0-9a-f]{64}");
    }

    /** Checks that the file still has the data written. */
    public void verify(String name) {
        assertThat(console.command("verify " + name, "ATOLL-GUEST VERIFY " + name, COMMAND))
                .isEqualTo("ATOLL-GUEST VERIFY " + name + " OK");
    }

    /** Powers the guest off through ACPI (it flushes and unmounts), then removes the VM. */
    @Override
    public void close() {
        try {
            if (hosts.vms.get(spec.uuid()).powerState() != VmPowerState.HALTED) {
                hosts.vms.shutdown(spec.uuid(), new ShutdownRequest(false, 30));
            }
        } finally {
            if (hosts.vms.get(spec.uuid()).powerState() != VmPowerState.HALTED) {
                hosts.vms.shutdown(spec.uuid(), new ShutdownRequest(true, null));
            }
            hosts.vms.destroy(spec.uuid());
        }
    }
}
