package io.atoll.storage.lvm;

import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StoragePlugin;
import java.util.List;

/** The plugin's entry point, found by {@link java.util.ServiceLoader}. */
public final class LvmPlugin implements StoragePlugin {

    @Override
    public List<StorageAdapterFactory> adapterFactories() {
        return List.of(new LvmAdapterFactory());
    }
}
