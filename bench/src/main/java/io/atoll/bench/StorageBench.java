package io.atoll.bench;

import io.atoll.guests.GuestConsole;
import io.atoll.guests.TestGuests;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmSpec;
import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import io.atoll.storage.tck.QemuIo;
import io.atoll.storage.tck.TckHosts;
import io.atoll.vm.VmManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Storage: snapshot and linked-clone time on the local adapter for a 20 GiB disk with 1 GiB
 * written, against a 1 GiB disk with 64 MiB written (the time must not grow with the data); then
 * sequential write throughput inside the Linux guest on an adapter disk against the same QEMU
 * command on a raw local file.
 */
final class StorageBench implements Main.Bench {
    private static final long MiB = 1L << 20;
    private static final long GiB = 1L << 30;
    private static final int FILL_MIB = 256;

    @Override
    public String run(String[] args) throws Exception {
        try (TckHosts hosts = new TckHosts()) {
            StorageAdapter adapter = StorageRigs.local().factory().create(hosts.hostA());
            SrConfig config = new SrConfig(UUID.randomUUID().toString(), "bench", "local",
                    Map.of("path", hosts.root().resolve("sr").toString()));
            adapter.create(config);
            StorageRepository repo = adapter.attach(config);

            double[] small = snapshotAndClone(repo, hosts, GiB, 64 * MiB);
            double[] large = snapshotAndClone(repo, hosts, 20 * GiB, GiB);
            System.out.printf("local adapter: 1 GiB disk (64 MiB written): snapshot %.1f ms, linked clone %.1f ms%n", small[0], small[1]);
            System.out.printf("local adapter: 20 GiB disk (1 GiB written): snapshot %.1f ms, linked clone %.1f ms%n", large[0], large[1]);

            Path raw = hosts.root().resolve("raw.img");
            new io.atoll.storage.spi.CommandRunner().check(List.of("qemu-img", "create", "-q", "-f", "raw", raw.toString(), "512M"));
            double rawMiBs = guestWrite(hosts.vms(), DiskSpec.file("disk0", raw.toString(), "raw", null));
            System.out.printf("sequential write in the guest (%d MiB, dd conv=fsync, TCG), raw local file: %.1f MiB/s%n", FILL_MIB, rawMiBs);
            StringBuilder ratios = new StringBuilder();
            double worst = Double.MAX_VALUE;
            for (StorageRigs.Rig rig : StorageRigs.all(hosts.root())) {
                try (rig) {
                    double mibs = adapterWrite(rig, hosts);
                    double ratio = mibs / rawMiBs;
                    worst = Math.min(worst, ratio);
                    System.out.printf("sequential write in the guest, %s adapter: %.1f MiB/s, ratio %.3f%n", rig.name(), mibs, ratio);
                    ratios.append(String.format(" write_ratio_%s=%.3f", rig.name(), ratio));
                }
            }
            return String.format("snapshot_ms=%.1f clone_ms=%.1f snapshot_ms_1g=%.1f clone_ms_1g=%.1f%s "
                    + "goal=snapshot_ms<=50,clone_ms<=50,constant", large[0], large[1], small[0], small[1], ratios);
        }
    }

    /** Medians over five runs of snapshot and of linked clone, on a disk with {@code written} bytes of data. */
    private static double[] snapshotAndClone(StorageRepository repo, TckHosts hosts, long size, long written) {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("disk-" + (size >> 30) + "g", size));
        DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        QemuIo.run(a, hosts.root(), "write -P 0xab 0 " + written);
        repo.detach(disk.id());
        List<Double> snaps = new ArrayList<>();
        List<Double> clones = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            long t0 = System.nanoTime();
            VirtualDiskInfo s = repo.snapshot(disk.id(), "s" + i);
            long t1 = System.nanoTime();
            VirtualDiskInfo c = repo.clone(s.id(), "c" + i, CloneMode.LINKED);
            long t2 = System.nanoTime();
            if (i > 0) { // the first run warms up
                snaps.add((t1 - t0) / 1e6);
                clones.add((t2 - t1) / 1e6);
            }
            repo.deleteDisk(c.id());
            repo.deleteDisk(s.id());
        }
        repo.deleteDisk(disk.id());
        return new double[] {median(snaps), median(clones)};
    }

    /** A repository of the rig's adapter, a disk in it, and the guest writing to it. */
    private static double adapterWrite(StorageRigs.Rig rig, TckHosts hosts) throws Exception {
        StorageAdapter adapter = rig.factory().create(hosts.hostA());
        String uuid = UUID.randomUUID().toString();
        SrConfig config = new SrConfig(uuid, "bench-" + rig.name(), rig.factory().name(), rig.location(hosts.root(), uuid));
        adapter.create(config);
        StorageRepository repo = adapter.attach(config);
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("throughput", 512 * MiB));
        try {
            DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
            try {
                return guestWrite(hosts.vms(), TckHosts.diskSpec("disk0", a, null));
            } finally {
                repo.detach(disk.id());
            }
        } finally {
            repo.deleteDisk(disk.id());
            repo.detach();
            adapter.destroy(config);
        }
    }

    /** Boots the Linux guest on the disk, fills a file with zeroes, and answers MiB/s (best of two). */
    private static double guestWrite(VmManager vms, DiskSpec disk) throws Exception {
        UUID uuid = UUID.randomUUID();
        VmSpec spec = new VmSpec(uuid, "bench-" + uuid.toString().substring(0, 8), 1, 256,
                new BootSpec(TestGuests.linuxKernel().toString(), TestGuests.linuxInitrd().toString(), TestGuests.linuxCmdline()),
                List.of(disk), List.of(), Accelerator.AUTO, null);
        vms.create(spec);
        try {
            vms.start(uuid);
            var paths = vms.paths(uuid);
            GuestConsole console = new GuestConsole(paths.consoleLog(), paths.serialSocket());
            console.await(l -> l.startsWith("ATOLL-GUEST READY"), Duration.ofSeconds(90), "READY");
            double best = 0;
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                String answer = console.command("fill bench " + FILL_MIB, "ATOLL-GUEST ", Duration.ofMinutes(10));
                if (!answer.equals("ATOLL-GUEST FILLED bench")) {
                    throw new IllegalStateException("the guest could not write: " + answer);
                }
                best = Math.max(best, FILL_MIB / ((System.nanoTime() - t0) / 1e9));
            }
            return best;
        } finally {
            vms.shutdown(uuid, new ShutdownRequest(false, 30));
            vms.destroy(uuid);
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
