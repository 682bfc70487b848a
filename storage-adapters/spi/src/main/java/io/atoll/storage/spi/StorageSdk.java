package io.atoll.storage.spi;

/**
 * The version of this SDK. A plugin is built against one version and loads only into a host
 * whose SDK has the same version: its jar's manifest carries {@value #MANIFEST_ATTRIBUTE}, and
 * its {@link StorageAdapterFactory#sdkVersion()} returns {@link #VERSION} as compiled into the
 * plugin.
 */
public final class StorageSdk {
    /** Raised on every incompatible change of the SPI. */
    public static final int VERSION = 1;

    /** The manifest attribute of a plugin jar naming the SDK version it was built against. */
    public static final String MANIFEST_ATTRIBUTE = "Atoll-Storage-Sdk-Version";

    /** The packages a plugin class loader takes from the host rather than from the plugin. */
    public static final String SPI_PACKAGE = "io.atoll.storage.spi";

    private StorageSdk() {
    }
}
