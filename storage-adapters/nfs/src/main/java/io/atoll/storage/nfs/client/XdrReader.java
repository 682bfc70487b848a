package io.atoll.storage.nfs.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Decodes XDR (RFC 4506) from one RPC reply. A reply shorter than its fields is an IOException. */
final class XdrReader {
    private final byte[] buf;
    private int pos;

    XdrReader(byte[] buf) {
        this.buf = buf;
    }

    int int32() throws IOException {
        need(4);
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long int64() throws IOException {
        return ((long) int32() << 32) | (int32() & 0xffffffffL);
    }

    boolean bool() throws IOException {
        return int32() != 0;
    }

    byte[] opaque() throws IOException {
        int n = int32();
        if (n < 0) {
            throw new IOException("malformed RPC reply: opaque length " + n);
        }
        return fixedOpaque(n);
    }

    byte[] fixedOpaque(int n) throws IOException {
        int padded = (n + 3) & ~3;
        need(padded);
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += padded;
        return out;
    }

    String string() throws IOException {
        return new String(opaque(), StandardCharsets.UTF_8);
    }

    void skip(int bytes) throws IOException {
        need(bytes);
        pos += bytes;
    }

    private void need(int n) throws IOException {
        if (n > buf.length - pos) {
            throw new IOException("malformed RPC reply: " + n + " bytes wanted at offset " + pos + " of " + buf.length);
        }
    }
}
