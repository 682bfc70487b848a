package io.atoll.storage.qcow2;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The repository lifecycle of an adapter whose repositories are qcow2 images in an
 * {@link ImageStore}; a concrete adapter says how to reach its store.
 */
public abstract class Qcow2StorageAdapter implements StorageAdapter {
    protected final AdapterContext context;

    protected Qcow2StorageAdapter(AdapterContext context) {
        this.context = context;
    }

    /** The store a device-config names. Cheap: it touches nothing yet. */
    protected abstract ImageStore store(SrConfig config);

    @Override
    public SrInfo create(SrConfig config) {
        ImageStore store = store(config);
        store.checkReachableOrAbsent();
        if (Qcow2Repository.readRecord(store) != null) {
            throw new StorageException(StorageErrorCode.ALREADY_EXISTS, "storage repository " + config.name()
                    + ": a repository exists at that location already: attach it, or choose an empty location");
        }
        store.initialize();
        try {
            Qcow2Repository.initialize(config, store);
        } catch (RuntimeException e) {
            store.destroy();
            throw e;
        }
        return attach(config).info();
    }

    @Override
    public List<SrInfo> probe(SrConfig config) {
        if (!behaviors().contains(StorageBehavior.SUPPORTS_PROBE)) {
            throw StorageException.notSupported(StorageBehavior.SUPPORTS_PROBE);
        }
        ImageStore store = store(config);
        Map<String, String> rec = Qcow2Repository.readRecord(store);
        if (rec == null) {
            return List.of();
        }
        SrConfig found = new SrConfig(rec.get("uuid"), rec.get("name"), rec.get("type"), config.deviceConfig());
        return List.of(repository(found, store).info());
    }

    @Override
    public StorageRepository attach(SrConfig config) {
        ImageStore store = store(config);
        store.checkReachable();
        Map<String, String> rec = Qcow2Repository.readRecord(store);
        if (rec == null || !config.uuid().equals(rec.get("uuid"))) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, "storage repository " + config.name() + " (" + config.uuid()
                    + ") is not at " + store.location("") + (rec == null ? ": nothing is there" : ": repository " + rec.get("uuid")
                    + " is") + "; probe the location, or create the repository");
        }
        return repository(config, store);
    }

    private Qcow2Repository repository(SrConfig config, ImageStore store) {
        return new Qcow2Repository(config, store, context, behaviors());
    }

    @Override
    public void destroy(SrConfig config) {
        ImageStore store = store(config);
        store.checkReachable();
        List<String> attached = store.list().stream().filter(f -> f.startsWith("att-")).toList();
        if (!attached.isEmpty()) {
            throw new StorageException(StorageErrorCode.IN_USE, "storage repository " + config.name()
                    + " still has attached disks (" + attached + "): detach them on every host first");
        }
        store.destroy();
    }

    /** The behaviors qcow2 chains give every store; an adapter adds SHARED, PROBE… */
    public static Set<StorageBehavior> chainBehaviors() {
        return Set.of(StorageBehavior.SUPPORTS_SNAPSHOT, StorageBehavior.SUPPORTS_LINKED_CLONE, StorageBehavior.SUPPORTS_FULL_CLONE,
                StorageBehavior.SUPPORTS_REVERT, StorageBehavior.SUPPORTS_RESIZE, StorageBehavior.SUPPORTS_CBT,
                StorageBehavior.THIN_PROVISIONING, StorageBehavior.SUPPORTS_LARGE_DISKS, StorageBehavior.SUPPORTS_METADATA,
                StorageBehavior.SUPPORTS_ONLINE_COALESCE);
    }
}
