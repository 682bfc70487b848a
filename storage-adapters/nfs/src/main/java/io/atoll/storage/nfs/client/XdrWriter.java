package io.atoll.storage.nfs.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Encodes XDR (RFC 4506): big-endian 4-byte units, opaque data padded to a multiple of 4. Not thread-safe. */
final class XdrWriter {
    private byte[] buf = new byte[256];
    private int len;

    XdrWriter int32(int v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    XdrWriter int64(long v) {
        return int32((int) (v >>> 32)).int32((int) v);
    }

    XdrWriter bool(boolean v) {
        return int32(v ? 1 : 0);
    }

    /** Variable-length opaque data: its length, the bytes, the padding. */
    XdrWriter opaque(byte[] data) {
        int32(data.length);
        return fixedOpaque(data);
    }

    /** Fixed-length opaque data (a verifier): the bytes and the padding, no length. */
    XdrWriter fixedOpaque(byte[] data) {
        return raw(data, 0, data.length);
    }

    XdrWriter string(String s) {
        return opaque(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Appends bytes with XDR padding. */
    XdrWriter raw(byte[] data, int offset, int length) {
        int padded = (length + 3) & ~3;
        ensure(padded);
        System.arraycopy(data, offset, buf, len, length);
        Arrays.fill(buf, len + length, len + padded, (byte) 0);
        len += padded;
        return this;
    }

    /** Appends what another writer encoded. */
    XdrWriter append(XdrWriter other) {
        ensure(other.len);
        System.arraycopy(other.buf, 0, buf, len, other.len);
        len += other.len;
        return this;
    }

    int length() {
        return len;
    }

    byte[] toBytes() {
        return Arrays.copyOf(buf, len);
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }
}
