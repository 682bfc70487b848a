package io.atoll.storage.lvm;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageSdk;

/** Makes the {@code lvm} adapter: volume groups on shared block devices. */
public final class LvmAdapterFactory implements StorageAdapterFactory {

    @Override
    public String name() {
        return LvmAdapter.TYPE;
    }

    @Override
    public int sdkVersion() {
        return StorageSdk.VERSION;
    }

    @Override
    public StorageAdapter create(AdapterContext context) {
        return new LvmAdapter(context);
    }
}
