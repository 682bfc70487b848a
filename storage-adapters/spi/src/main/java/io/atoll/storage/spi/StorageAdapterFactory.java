package io.atoll.storage.spi;

/**
 * Makes the adapter of one storage type ({@code local}, {@code nfs}, a vendor's array…).
 */
public interface StorageAdapterFactory {

    /**
     * The storage type this adapter serves: lower-case letters, digits and '-'; unique among the
     * plugins of a pool. Storage repositories name it as their type.
     */
    String name();

    /**
     * The SDK version the plugin was compiled against. Implement it as
     * {@code return StorageSdk.VERSION;} in the plugin, so that the constant is compiled into the
     * plugin; the host refuses a factory whose version differs from its own.
     */
    int sdkVersion();

    /**
     * Creates the adapter for this host process. Called once per host process, at plugin load,
     * with the thread context class loader set to the plugin's. It must not touch storage yet.
     *
     * @param context what the host gives the adapter
     */
    StorageAdapter create(AdapterContext context);
}
