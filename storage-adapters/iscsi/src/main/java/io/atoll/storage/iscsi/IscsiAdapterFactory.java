package io.atoll.storage.iscsi;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageSdk;

/** The {@code iscsi} storage type. */
public final class IscsiAdapterFactory implements StorageAdapterFactory {
    public static final String NAME = "iscsi";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int sdkVersion() {
        return StorageSdk.VERSION;
    }

    @Override
    public StorageAdapter create(AdapterContext context) {
        return new IscsiAdapter(context);
    }
}
