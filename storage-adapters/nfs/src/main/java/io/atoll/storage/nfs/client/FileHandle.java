package io.atoll.storage.nfs.client;

import java.util.Arrays;
import java.util.HexFormat;

/** An NFSv3 file handle: opaque bytes (at most 64) the server gave for a file or directory. */
public final class FileHandle {
    private final byte[] bytes;

    FileHandle(byte[] bytes) {
        if (bytes.length == 0 || bytes.length > 64) {
            throw new IllegalArgumentException("an NFSv3 file handle has 1 to 64 bytes, not " + bytes.length);
        }
        this.bytes = bytes.clone();
    }

    byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileHandle other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "fh:" + HexFormat.of().formatHex(bytes);
    }
}
