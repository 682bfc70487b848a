package io.atoll.storage.nfs.client;

import java.io.IOException;
import java.util.Map;

/**
 * The NFS server answered a call with an error status (RFC 1813 nfsstat3, or a MOUNT mountstat3).
 * Unlike the other IOExceptions of this package, the server is there: only the operation failed.
 */
public final class NfsException extends IOException {
    private static final long serialVersionUID = 1L;

    public static final int PERM = 1;
    public static final int NOENT = 2;
    public static final int IO = 5;
    public static final int ACCES = 13;
    public static final int EXIST = 17;
    public static final int NOTDIR = 20;
    public static final int ISDIR = 21;
    public static final int NOSPC = 28;
    public static final int ROFS = 30;
    public static final int NAMETOOLONG = 63;
    public static final int NOTEMPTY = 66;
    public static final int DQUOT = 69;
    public static final int STALE = 70;
    public static final int BADHANDLE = 10001;
    public static final int NOTSUPP = 10004;
    public static final int SERVERFAULT = 10006;
    public static final int JUKEBOX = 10008;

    private static final Map<Integer, String> NAMES = Map.ofEntries(Map.entry(PERM, "NFS3ERR_PERM"),
            Map.entry(NOENT, "NFS3ERR_NOENT"), Map.entry(IO, "NFS3ERR_IO"), Map.entry(6, "NFS3ERR_NXIO"),
            Map.entry(ACCES, "NFS3ERR_ACCES"), Map.entry(EXIST, "NFS3ERR_EXIST"), Map.entry(18, "NFS3ERR_XDEV"),
            Map.entry(19, "NFS3ERR_NODEV"), Map.entry(NOTDIR, "NFS3ERR_NOTDIR"), Map.entry(ISDIR, "NFS3ERR_ISDIR"),
            Map.entry(22, "NFS3ERR_INVAL"), Map.entry(27, "NFS3ERR_FBIG"), Map.entry(NOSPC, "NFS3ERR_NOSPC"),
            Map.entry(ROFS, "NFS3ERR_ROFS"), Map.entry(31, "NFS3ERR_MLINK"), Map.entry(NAMETOOLONG, "NFS3ERR_NAMETOOLONG"),
            Map.entry(NOTEMPTY, "NFS3ERR_NOTEMPTY"), Map.entry(DQUOT, "NFS3ERR_DQUOT"), Map.entry(STALE, "NFS3ERR_STALE"),
            Map.entry(71, "NFS3ERR_REMOTE"), Map.entry(BADHANDLE, "NFS3ERR_BADHANDLE"), Map.entry(10002, "NFS3ERR_NOT_SYNC"),
            Map.entry(10003, "NFS3ERR_BAD_COOKIE"), Map.entry(NOTSUPP, "NFS3ERR_NOTSUPP"), Map.entry(10005, "NFS3ERR_TOOSMALL"),
            Map.entry(SERVERFAULT, "NFS3ERR_SERVERFAULT"), Map.entry(10007, "NFS3ERR_BADTYPE"), Map.entry(JUKEBOX, "NFS3ERR_JUKEBOX"));

    private final int status;

    NfsException(int status, String operation) {
        super(operation + ": " + NAMES.getOrDefault(status, "status " + status));
        this.status = status;
    }

    /** The nfsstat3 (or mountstat3, which shares the values it has) of the reply. */
    public int status() {
        return status;
    }

    /** The handle no longer names a file (it was removed, or the server lost its handles). */
    public boolean stale() {
        return status == STALE || status == BADHANDLE;
    }
}
