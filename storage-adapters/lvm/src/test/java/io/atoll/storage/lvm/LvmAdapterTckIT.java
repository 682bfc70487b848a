package io.atoll.storage.lvm;

import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.tck.StorageAdapterTck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The LVM adapter against the storage TCK, on one 4 TiB sparse loop device for the class (the
 * TCK's 3 TiB disk must fit a thick volume). The TCK destroys each test's repository, which wipes
 * the device for the next; a test that could not clean up has its group removed before the next
 * test's location is handed out. The device is detached after the last test (the TCK's own
 * clean-up runs after any of a subclass's, so a per-test device could not be detached in time).
 */
class LvmAdapterTckIT extends StorageAdapterTck {
    private static Path dir;
    private static LoopDevice lun;

    @BeforeAll
    static void device() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "atoll-lvm-tck-");
        lun = LoopDevice.create(dir, 4L << 40);
    }

    @AfterAll
    static void detachDevice() throws IOException {
        try {
            if (lun != null) {
                lun.close();
            }
        } finally {
            Files.walk(dir).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Override
    protected StorageAdapterFactory factory() {
        return new LvmAdapterFactory();
    }

    @Override
    protected Map<String, String> newLocation(String srUuid) {
        Lvm lvm = lun.lvm();
        lvm.pv().ifPresent(pv -> {
            if (!pv.vgName().isEmpty()) {
                lvm.vgremove(pv.vgName());
            }
            lvm.pvremove();
        });
        return Map.of("device", lun.device());
    }

    @Override
    protected Set<StorageBehavior> expectedBehaviors() {
        return StorageBehavior.closure(Set.of(StorageBehavior.SUPPORTS_LINKED_CLONE, StorageBehavior.SUPPORTS_FULL_CLONE,
                StorageBehavior.SUPPORTS_REVERT, StorageBehavior.SUPPORTS_RESIZE, StorageBehavior.SUPPORTS_METADATA,
                StorageBehavior.SUPPORTS_PROBE, StorageBehavior.SHARED, StorageBehavior.SUPPORTS_CBT, StorageBehavior.SUPPORTS_LARGE_DISKS,
                StorageBehavior.SUPPORTS_ONLINE_COALESCE, StorageBehavior.SUPPORTS_RELEASE_HOST));
    }
}
