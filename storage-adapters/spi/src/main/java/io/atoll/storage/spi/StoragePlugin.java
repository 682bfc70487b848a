package io.atoll.storage.spi;

import java.util.List;

/**
 * The entry point of a plugin jar, found with {@link java.util.ServiceLoader} in the plugin's own
 * class loader ({@code META-INF/services/io.atoll.storage.spi.StoragePlugin}). It is created
 * once per host process, on the thread that loads plugins; its methods are called once, right
 * after.
 */
public interface StoragePlugin {

    /** The adapter types this plugin provides. */
    default List<StorageAdapterFactory> adapterFactories() {
        return List.of();
    }
}
