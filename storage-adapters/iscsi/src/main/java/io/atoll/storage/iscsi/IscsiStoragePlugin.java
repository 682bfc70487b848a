package io.atoll.storage.iscsi;

import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StoragePlugin;
import java.util.List;

/** The plugin entry point, found through {@code META-INF/services}. */
public final class IscsiStoragePlugin implements StoragePlugin {
    @Override
    public List<StorageAdapterFactory> adapterFactories() {
        return List.of(new IscsiAdapterFactory());
    }
}
