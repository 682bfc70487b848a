package io.atoll.storage.spi;

import java.util.regex.Pattern;

/** Checks of names and sizes that every adapter applies the same way. */
public final class Names {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._+:@-]{0,127}");

    private Names() {
    }

    /**
     * A name an administrator gave a repository, disk or snapshot. Adapters may use it in file or
     * volume names, so it may not contain '/', start with '.', contain "..", or control characters.
     *
     * @throws StorageException {@code INVALID_ARGUMENT} naming the object and the rule
     */
    public static String checkName(String what, String name) {
        if (name == null || name.isBlank()) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what + " name is empty: give a name");
        }
        if (name.contains("/") || name.contains("..") || !SAFE.matcher(name).matches()) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what + " name '" + name
                    + "' is not allowed: use 1-128 letters, digits, spaces and . _ + : @ -, starting with a letter or digit, without '/' or '..'");
        }
        return name;
    }

    /**
     * A virtual size in bytes: positive, and a multiple of 512.
     *
     * @throws StorageException {@code INVALID_ARGUMENT}
     */
    public static long checkSize(String what, long size) {
        if (size <= 0) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what + " size is " + size + " bytes: give a size above 0");
        }
        if (size % 512 != 0) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what + " size " + size
                    + " is not a multiple of 512 bytes: round it up to " + ((size + 511) / 512 * 512));
        }
        return size;
    }
}
