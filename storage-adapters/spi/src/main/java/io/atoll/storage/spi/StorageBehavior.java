package io.atoll.storage.spi;

import java.util.EnumSet;
import java.util.Set;

/**
 * What an adapter can do, declared by {@link StorageAdapter#behaviors()}. Some imply others
 * ({@code SUPPORTS_LINKED_CLONE} implies {@code SUPPORTS_SNAPSHOT}); the TCK checks each
 * declared behavior and, for each undeclared one, that the adapter answers with exactly
 * {@link #notSupportedMessage()}.
 */
public enum StorageBehavior {
    /** Read-only point-in-time copies of a disk. */
    SUPPORTS_SNAPSHOT("snapshots"),
    /** Clones that share unchanged data with their source (a backing chain, a thin copy). */
    SUPPORTS_LINKED_CLONE("linked clones", SUPPORTS_SNAPSHOT),
    /** Clones that copy all data and depend on nothing. */
    SUPPORTS_FULL_CLONE("full clones"),
    /** Bringing a disk back to one of its snapshots. */
    SUPPORTS_REVERT("reverting to a snapshot", SUPPORTS_SNAPSHOT),
    /** Growing a disk. */
    SUPPORTS_RESIZE("resizing disks"),
    /** Changed-block tracking between snapshots. */
    SUPPORTS_CBT("changed-block tracking", SUPPORTS_SNAPSHOT),
    /** Space is taken as data is written, not at creation. */
    THIN_PROVISIONING("thin provisioning"),
    /** Virtual sizes above 2 TiB. */
    SUPPORTS_LARGE_DISKS("disks larger than 2 TiB"),
    /** Free-form metadata (key/value) on disks. */
    SUPPORTS_METADATA("disk metadata"),
    /** The same repository attached on several hosts at once. */
    SHARED("shared access from several hosts"),
    /** Finding existing repositories at a location before attaching them. */
    SUPPORTS_PROBE("probing"),
    /** Merging a deleted snapshot into its chain while a VM runs on the disk. */
    SUPPORTS_ONLINE_COALESCE("online snapshot coalescing", SUPPORTS_SNAPSHOT),
    /** A heartbeat area for the HA statefile ({@link StorageRepository#heartbeatArea()}). */
    SUPPORTS_HEARTBEAT("an HA heartbeat area"),
    /** Breaking another host's attachments after it was fenced ({@link StorageRepository#releaseHost(String)}). */
    SUPPORTS_RELEASE_HOST("releasing a fenced host's disks");

    private final String feature;
    private final Set<StorageBehavior> implied;

    StorageBehavior(String feature, StorageBehavior... implied) {
        this.feature = feature;
        this.implied = implied.length == 0 ? Set.of() : Set.of(implied);
    }

    /** Behaviors that come with this one. */
    public Set<StorageBehavior> implied() {
        return implied;
    }

    /** The exact message of the NOT_SUPPORTED error for this behavior. */
    public String notSupportedMessage() {
        return "This adapter does not support " + feature;
    }

    /** The declared behaviors with everything they imply. */
    public static Set<StorageBehavior> closure(Set<StorageBehavior> declared) {
        Set<StorageBehavior> out = declared.isEmpty() ? EnumSet.noneOf(StorageBehavior.class) : EnumSet.copyOf(declared);
        boolean grew = true;
        while (grew) {
            grew = false;
            for (StorageBehavior b : Set.copyOf(out)) {
                grew |= out.addAll(b.implied);
            }
        }
        return out;
    }
}
