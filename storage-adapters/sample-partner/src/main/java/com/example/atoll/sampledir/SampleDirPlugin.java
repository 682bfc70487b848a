package com.example.atoll.sampledir;

import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StoragePlugin;
import java.util.List;

/**
 * The plugin's entry point, named in {@code META-INF/services/io.atoll.storage.spi.StoragePlugin}.
 * The host creates it once with {@link java.util.ServiceLoader}; it needs a public no-argument
 * constructor and must do no work in it.
 */
public final class SampleDirPlugin implements StoragePlugin {

    @Override
    public List<StorageAdapterFactory> adapterFactories() {
        return List.of(new SampleDirFactory());
    }
}
