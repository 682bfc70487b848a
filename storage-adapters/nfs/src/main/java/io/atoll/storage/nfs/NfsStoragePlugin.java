package io.atoll.storage.nfs;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StoragePlugin;
import io.atoll.storage.spi.StorageSdk;
import java.util.List;

/** The plugin entry point of the NFS adapter. */
public final class NfsStoragePlugin implements StoragePlugin {

    /** Makes the {@code nfs} adapter. */
    public static final class Factory implements StorageAdapterFactory {
        @Override
        public String name() {
            return "nfs";
        }

        @Override
        public int sdkVersion() {
            return StorageSdk.VERSION;
        }

        @Override
        public StorageAdapter create(AdapterContext context) {
            return new NfsStorageAdapter(context);
        }
    }

    @Override
    public List<StorageAdapterFactory> adapterFactories() {
        return List.of(new Factory());
    }
}
