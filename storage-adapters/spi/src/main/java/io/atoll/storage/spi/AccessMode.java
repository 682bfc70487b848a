package io.atoll.storage.spi;

/** How a host opens a disk. A disk is open read-write on at most one host at a time. */
public enum AccessMode {
    READ_ONLY,
    READ_WRITE
}
