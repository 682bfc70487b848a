package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.vm.VmManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The Linux test guest on one disk of the adapter, run by the host runtime (TCG). */
final class Guest implements AutoCloseable {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration COMMAND = Duration.ofSeconds(60);
    private final VmManager vms;
    private final UUID uuid;
    private final GuestConsole console;

    private Guest(VmManager vms, UUID uuid) {
        this.vms = vms;
        this.uuid = uuid;
        var paths = vms.paths(uuid);
        this.console = new GuestConsole(paths.consoleLog(), paths.serialSocket());
    }

    static Guest boot(VmManager vms, DiskAttachment disk) {
        UUID uuid = UUID.randomUUID();
        DiskSpec d = new DiskSpec("disk0", disk.format(), disk.protocol(), disk.formatOptions(), disk.readOnly(),
                DiskSpec.DiskBus.VIRTIO, null, Map.of());
        vms.create(new VmSpec(uuid, "lvm-" + uuid.toString().substring(0, 8), 1, 192,
                new BootSpec(TestGuests.linuxKernel().toString(), TestGuests.linuxInitrd().toString(), TestGuests.linuxCmdline()),
                List.of(d), List.of(), Accelerator.AUTO, null));
        Guest g = new Guest(vms, uuid);
        try {
            vms.start(uuid);
            assertThat(g.console.await(l -> l.startsWith("ATOLL-GUEST READY"), BOOT, "ATOLL-GUEST READY")).contains("disk=vda");
        } catch (RuntimeException | Error e) {
            g.close();
            throw e;
        }
        return g;
    }

    /** The runtime's handle on the running disk, as the pool would pass it to the adapter. */
    LiveBlockDevice live() {
        return vms.liveBlockDevice(uuid, "disk0");
    }

    void write(String name, int mib) {
        assertThat(console.command("write " + name + " " + mib, "ATOLL-GUEST WROTE " + name, COMMAND))
                .matches("ATOLL-GUEST WROTE " + name + " [0-9a-f]{64}");
    }

    void verify(String name) {
        assertThat(console.command("verify " + name, "ATOLL-GUEST VERIFY " + name, COMMAND))
                .isEqualTo("ATOLL-GUEST VERIFY " + name + " OK");
    }

    @Override
    public void close() {
        try {
            if (vms.get(uuid).powerState() != VmPowerState.HALTED) {
                vms.shutdown(uuid, new ShutdownRequest(false, 30));
            }
        } finally {
            if (vms.get(uuid).powerState() != VmPowerState.HALTED) {
                vms.shutdown(uuid, new ShutdownRequest(true, null));
            }
            vms.destroy(uuid);
        }
    }
}
