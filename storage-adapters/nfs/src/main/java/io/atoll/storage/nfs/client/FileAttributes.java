package io.atoll.storage.nfs.client;

import java.io.IOException;

/**
 * The attributes of a file (RFC 1813 fattr3) that the store uses.
 *
 * @param type 1 regular file, 2 directory, 5 symbolic link…
 * @param size bytes of data
 * @param used bytes the file takes on the server's disk
 * @param fileId the file's number within its file system: the same file under two names has one
 */
public record FileAttributes(int type, int mode, int links, long size, long used, long fileId) {
    public static final int REGULAR = 1;
    public static final int DIRECTORY = 2;

    static FileAttributes read(XdrReader r) throws IOException {
        int type = r.int32();
        int mode = r.int32();
        int links = r.int32();
        r.skip(8); // uid, gid
        long size = r.int64();
        long used = r.int64();
        r.skip(16); // rdev, fsid
        long fileId = r.int64();
        r.skip(24); // atime, mtime, ctime
        return new FileAttributes(type, mode, links, size, used, fileId);
    }

    /** A post_op_attr: attributes when the server sent them, else {@code null}. */
    static FileAttributes readOptional(XdrReader r) throws IOException {
        return r.bool() ? read(r) : null;
    }

    /** Skips a wcc_data (pre- and post-operation attributes of a directory). */
    static void skipWcc(XdrReader r) throws IOException {
        if (r.bool()) {
            r.skip(24); // size, mtime, ctime
        }
        readOptional(r);
    }
}
