package io.atoll.storage.spi;

/** How a clone relates to its source. */
public enum CloneMode {
    /** Shares the source's data and stores only its own changes ({@code SUPPORTS_LINKED_CLONE}). */
    LINKED,
    /** A copy of all the data, independent of the source ({@code SUPPORTS_FULL_CLONE}). */
    FULL
}
