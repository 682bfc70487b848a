package io.atoll.storage.local;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StoragePlugin;
import io.atoll.storage.spi.StorageSdk;
import java.util.List;

/** The plugin entry point of the local adapter. */
public final class LocalStoragePlugin implements StoragePlugin {

    /** Makes the {@code local} adapter. */
    public static final class Factory implements StorageAdapterFactory {
        @Override
        public String name() {
            return "local";
        }

        @Override
        public int sdkVersion() {
            return StorageSdk.VERSION;
        }

        @Override
        public StorageAdapter create(AdapterContext context) {
            return new LocalStorageAdapter(context);
        }
    }

    @Override
    public List<StorageAdapterFactory> adapterFactories() {
        return List.of(new Factory());
    }
}
