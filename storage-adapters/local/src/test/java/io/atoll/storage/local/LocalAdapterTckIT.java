package io.atoll.storage.local;

import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.tck.StorageAdapterTck;
import java.util.Map;
import java.util.Set;

/** The local adapter against the storage TCK: repositories in fresh directories under the TCK's temp tree. */
class LocalAdapterTckIT extends StorageAdapterTck {

    @Override
    protected StorageAdapterFactory factory() {
        return new LocalStoragePlugin.Factory();
    }

    @Override
    protected Map<String, String> newLocation(String srUuid) {
        return Map.of("path", hosts.root().resolve("sr-" + srUuid).toString());
    }

    @Override
    protected Set<StorageBehavior> expectedBehaviors() {
        return LocalStorageAdapter.BEHAVIORS;
    }
}
