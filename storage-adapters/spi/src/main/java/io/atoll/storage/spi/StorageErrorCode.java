package io.atoll.storage.spi;

/** The one set of errors every adapter reports, so that the pool master can act on them. */
public enum StorageErrorCode {
    /** The adapter does not offer this behavior (see {@link StorageBehavior}). */
    NOT_SUPPORTED,
    /** A bad argument: a name with '/' or '..', a size ≤ 0, a missing device-config key. */
    INVALID_ARGUMENT,
    /** No such storage repository, disk or snapshot. */
    NOT_FOUND,
    /** The storage repository or disk exists already. */
    ALREADY_EXISTS,
    /** The disk is attached (or the repository has attached disks) and the operation needs it free. */
    IN_USE,
    /** Not enough space on the storage. */
    NO_SPACE,
    /** A resize smaller than the disk: disks never shrink, data would be lost. */
    SHRINK_NOT_ALLOWED,
    /** The storage server or device cannot be reached now; retry when it is back. */
    UNAVAILABLE,
    /** An external tool or the storage itself failed; the message carries its own words. */
    BACKEND_FAILED,
    /** The plugin was built for another SDK version, or failed while loading. */
    PLUGIN_INCOMPATIBLE,
    /** The storage holds something the adapter did not expect (a broken chain, foreign data). */
    CORRUPT
}
