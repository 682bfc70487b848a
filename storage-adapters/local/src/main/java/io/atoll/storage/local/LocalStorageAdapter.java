package io.atoll.storage.local;

import io.atoll.storage.qcow2.ImageStore;
import io.atoll.storage.qcow2.Qcow2StorageAdapter;
import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageBehavior;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Thin qcow2 images in a directory of one host: snapshots and linked clones as backing chains,
 * changed-block tracking through qcow2 persistent dirty bitmaps, disks up to 64 TiB.
 */
public final class LocalStorageAdapter extends Qcow2StorageAdapter {
    static final Set<StorageBehavior> BEHAVIORS;

    static {
        Set<StorageBehavior> b = EnumSet.copyOf(chainBehaviors());
        b.add(StorageBehavior.SUPPORTS_PROBE);
        b.add(StorageBehavior.SUPPORTS_HEARTBEAT);
        BEHAVIORS = Set.copyOf(b);
    }

    LocalStorageAdapter(AdapterContext context) {
        super(context);
    }

    @Override
    public Set<StorageBehavior> behaviors() {
        return BEHAVIORS;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(new ConfigKey("path", true, false, "directory of the repository on the host (created; must be new or empty)"));
    }

    @Override
    protected ImageStore store(SrConfig config) {
        return new LocalDirectoryStore(Path.of(config.require("path")));
    }
}
