package io.atoll.storage.iscsi;

import static io.atoll.storage.iscsi.IscsiTestRig.GIB;
import static io.atoll.storage.iscsi.IscsiTestRig.MIB;
import static io.atoll.storage.iscsi.IscsiTestRig.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The array going away: tgtd stopped between operations, stopped in the middle of one, and hung
 * (SIGSTOP). Each time the adapter says UNAVAILABLE, the catalog names no half-made disk, and
 * once tgtd is back (with its in-memory configuration lost, as after a real restart) the adapter
 * exports everything again and the data is there.
 */
class IscsiOutageIT {
    @RegisterExtension
    static final TgtServer TGT = new TgtServer();

    IscsiTestRig rig;
    SrConfig sr;
    IscsiAdapter adapter;
    StorageRepository repo;
    /** Runs once, just before the named TargetManager method, when armed. */
    final AtomicReference<Map.Entry<String, Runnable>> fault = new AtomicReference<>();

    @BeforeEach
    void repository() throws Exception {
        rig = new IscsiTestRig(TGT);
        sr = rig.sr("outage", GIB, Map.of(IscsiConfig.TIMEOUT, "2"));
        Path work = Files.createTempDirectory(Path.of("/tmp"), "atoll-iscsi-outage-");
        adapter = new IscsiAdapter(new AdapterContext("host-a", work, new CommandRunner()),
                config -> faulty(TgtadmTargetManager.factory(new CommandRunner()).open(config)));
        adapter.create(sr);
        repo = adapter.attach(sr);
        Files.delete(work);
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            TGT.thaw();
        } catch (IllegalStateException notRunning) {
            // stopped by the test
        }
        TGT.start();
        for (VirtualDiskInfo d : repo.scan()) {
            repo.detach(d.id());
        }
        repo.detach();
        adapter.destroy(sr);
        rig.close();
    }

    @Test
    void stoppedServerIsUnavailableAndComesBackWithItsData() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("before", 16 * MIB, Map.of("k", "v")));
        DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(a, "write -P 0x99 0 1M")).matches(QemuIo.Run::ok);
        repo.detach(disk.id());

        TGT.stop();
        assertThat(assertError(StorageErrorCode.UNAVAILABLE, () -> repo.createDisk(new DiskCreateRequest("during", 16 * MIB))))
                .hasMessageContaining("does not answer");
        assertError(StorageErrorCode.UNAVAILABLE, () -> repo.clone(disk.id(), "copy", CloneMode.FULL));
        assertError(StorageErrorCode.UNAVAILABLE, () -> repo.snapshot(disk.id(), "snap"));
        assertError(StorageErrorCode.UNAVAILABLE, () -> repo.resize(disk.id(), 32 * MIB));
        assertError(StorageErrorCode.UNAVAILABLE, () -> repo.deleteDisk(disk.id()));
        assertThat(assertError(StorageErrorCode.UNAVAILABLE, () -> repo.attach(disk.id(), AccessMode.READ_WRITE)))
                .hasMessageContaining(TGT.portal());
        assertError(StorageErrorCode.UNAVAILABLE, () -> rig.adapter("host-b").attach(sr));
        // What the catalog says is still readable, and unchanged.
        assertThat(repo.scan()).extracting(VirtualDiskInfo::name).containsExactly("before");
        assertThat(repo.disk(disk.id()).virtualSize()).isEqualTo(16 * MIB);
        assertThat(rig.volumeFiles(sr)).containsExactly(disk.id() + ".img");

        // tgtd restarts with no targets at all; the next operation exports them again.
        TGT.start();
        assertThat(rig.targetExists(sr.deviceConfig().get("target"))).isFalse();
        DiskAttachment again = repo.attach(disk.id(), AccessMode.READ_ONLY);
        assertThat(QemuIo.io(again, "read -P 0x99 0 1M")).matches(QemuIo.Run::ok);
        repo.detach(disk.id());
        VirtualDiskInfo after = repo.createDisk(new DiskCreateRequest("after", 16 * MIB));
        assertThat(repo.scan()).extracting(VirtualDiskInfo::name).containsExactly("before", "after");
        repo.deleteDisk(after.id());
    }

    @Test
    void serverLostInTheMiddleOfAnOperationLeavesNothingHalfMade() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("source", 16 * MIB));
        DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(QemuIo.io(a, "write -P 0x21 0 1M")).matches(QemuIo.Run::ok);
        repo.detach(disk.id());

        // The volume exists, then tgtd goes before its LUN is exported.
        stopServerBefore("export", "createVolume");
        assertError(StorageErrorCode.UNAVAILABLE, () -> repo.createDisk(new DiskCreateRequest("half", 16 * MIB)));
        assertOnlySource(disk);

        TGT.start();
        // The copy is made, then tgtd goes.
        stopServerBefore("export", "copyVolume");
        assertError(StorageErrorCode.UNAVAILABLE, () -> repo.clone(disk.id(), "half-clone", CloneMode.FULL));
        assertOnlySource(disk);

        TGT.start();
        // The volume has grown, then tgtd goes: the grow is undone, the LUN keeps its size.
        stopServerBefore("export", "resizeVolume");
        assertError(StorageErrorCode.UNAVAILABLE, () -> repo.resize(disk.id(), 64 * MIB));
        assertOnlySource(disk);
        assertThat(Files.size(TGT.backingDir().resolve(sr.uuid()).resolve(disk.id() + ".img"))).isEqualTo(16 * MIB);

        TGT.start();
        DiskAttachment back = repo.attach(disk.id(), AccessMode.READ_ONLY);
        assertThat(QemuIo.info(back).output()).contains("virtual size: 16 MiB");
        assertThat(QemuIo.io(back, "read -P 0x21 0 1M")).matches(QemuIo.Run::ok);
        repo.detach(disk.id());
        assertThat(rig.exportedLuns(sr.deviceConfig().get("target"))).hasSize(1);
    }

    @Test
    void aHungServerTimesOutAsUnavailable() throws Exception {
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("steady", 16 * MIB));
        TGT.freeze();
        long start = System.nanoTime();
        StorageException e = assertError(StorageErrorCode.UNAVAILABLE, () -> repo.createDisk(new DiskCreateRequest("stuck", 16 * MIB)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(e).hasMessageContaining("did not finish within 2 s");
        assertThat(ms).as("refused after the 2 s management timeout").isBetween(1_900L, 8_000L);
        TGT.thaw();
        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactly(disk.id());
        assertThat(rig.volumeFiles(sr)).containsExactly(disk.id() + ".img");
        repo.deleteDisk(repo.createDisk(new DiskCreateRequest("unstuck", 16 * MIB)).id());
    }

    private void assertOnlySource(VirtualDiskInfo disk) throws Exception {
        assertThat(repo.scan()).extracting(VirtualDiskInfo::id).containsExactly(disk.id());
        assertThat(repo.disk(disk.id()).virtualSize()).isEqualTo(16 * MIB);
        assertThat(rig.volumeFiles(sr)).containsExactly(disk.id() + ".img");
    }

    /** Arms a fault: the first call of {@code method} after a call of {@code after} finds tgtd stopped. */
    private void stopServerBefore(String method, String after) {
        fault.set(Map.entry(after + ">" + method, () -> {
            try {
                TGT.stop();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
    }

    /** The manager, with {@link #fault} injected between its calls. */
    private TargetManager faulty(TargetManager real) {
        AtomicReference<Boolean> afterSeen = new AtomicReference<>(false);
        return (TargetManager) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {TargetManager.class}, (p, m, args) -> {
            Map.Entry<String, Runnable> f = fault.get();
            if (f != null) {
                String[] when = f.getKey().split(">");
                if (m.getName().equals(when[1]) && afterSeen.get()) {
                    fault.set(null);
                    afterSeen.set(false);
                    f.getValue().run();
                }
            }
            try {
                return m.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (f != null && m.getName().equals(f.getKey().split(">")[0])) {
                    afterSeen.set(true);
                }
            }
        });
    }
}
