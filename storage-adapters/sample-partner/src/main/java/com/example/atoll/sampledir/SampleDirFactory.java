package com.example.atoll.sampledir;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageSdk;

/** Makes the {@value #TYPE} adapter: raw disk images in a directory. */
public final class SampleDirFactory implements StorageAdapterFactory {
    /** The storage type administrators name when they create a repository. */
    public static final String TYPE = "sample-dir";

    @Override
    public String name() {
        return TYPE;
    }

    @Override
    public int sdkVersion() {
        // A compile-time constant: the SDK version this jar was compiled against, not the host's.
        return StorageSdk.VERSION;
    }

    @Override
    public StorageAdapter create(AdapterContext context) {
        return new SampleDirAdapter(context);
    }
}
