package io.atoll.storage.nfs.client;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A small NFSv3 client (RFC 1813) in plain Java: the MOUNT and NFS procedures a store of image
 * files needs, over TCP, with AUTH_SYS. It finds the MOUNT and NFS ports through the server's
 * portmapper, as QEMU's libnfs does, so both reach the same services.
 *
 * <p>Thread-safe: each call borrows a connection from a small pool (opening one when none is
 * idle) and gives it back. Every call ends within the timeout; a connection that failed is
 * closed. A pooled connection found closed by the server (it restarted) is replaced and the call
 * sent once more, which is safe because the server closed it before reading the call.
 *
 * <p>Failures are IOExceptions: {@link NfsException} when the server answered with an error
 * status, any other when it could not be reached or did not answer in time.
 */
public final class NfsClient implements Closeable {
    private static final int PORTMAP = 100000;
    private static final int MOUNT = 100005;
    private static final int NFS = 100003;
    private static final int IPPROTO_TCP = 6;
    private static final int NULL = 0;
    private static final int GETATTR = 1;
    private static final int LOOKUP = 3;
    private static final int READ = 6;
    private static final int WRITE = 7;
    private static final int CREATE = 8;
    private static final int MKDIR = 9;
    private static final int REMOVE = 12;
    private static final int RMDIR = 13;
    private static final int RENAME = 14;
    private static final int LINK = 15;
    private static final int READDIR = 16;
    private static final int FSSTAT = 18;
    private static final int FILE_SYNC = 2;
    private static final int CHUNK = 64 * 1024;
    private static final int MAX_SMALL_FILE = 16 << 20;
    private static final int MAX_IDLE = 8;

    /** A file found or created: its handle, and its attributes when the server sent them. */
    public record Entry(FileHandle handle, FileAttributes attributes) {
    }

    /** Space of the file system holding a file (FSSTAT). */
    public record FsStat(long totalBytes, long freeBytes, long availableBytes) {
    }

    private final String server;
    private final int portmapperPort;
    private final Duration timeout;
    private final int uid;
    private final int gid;
    private final Deque<RpcConnection> idle = new ArrayDeque<>();

    /**
     * @param server host name or address of the NFS server
     * @param portmapperPort 111 but in tests
     * @param timeout the longest any one call may take, connecting included
     * @param uid the AUTH_SYS identity of every call (0 as QEMU running as root; the export must not squash it)
     */
    public NfsClient(String server, int portmapperPort, Duration timeout, int uid, int gid) {
        this.server = Objects.requireNonNull(server, "server");
        this.portmapperPort = portmapperPort;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.uid = uid;
        this.gid = gid;
    }

    /** MOUNT MNT: the handle of an exported directory (or of a directory under an export). */
    public FileHandle mount(String path) throws IOException {
        try (RpcConnection c = RpcConnection.open(server, port(MOUNT, 3, "MOUNT v3"), timeout)) {
            XdrReader r = c.call(MOUNT, 3, 1, new XdrWriter().string(path), uid, gid);
            int status = r.int32();
            if (status != 0) {
                throw new NfsException(status, "MOUNT " + server + ":" + path);
            }
            return new FileHandle(r.opaque());
        }
    }

    /** NULL: whether the NFS service answers. */
    public void ping() throws IOException {
        call(NULL, new XdrWriter());
    }

    public FileAttributes getattr(FileHandle file) throws IOException {
        return FileAttributes.read(nfs(GETATTR, handle(file), "GETATTR"));
    }

    /** LOOKUP: the entry of a name in a directory, empty when there is none. */
    public Optional<Entry> lookup(FileHandle dir, String name) throws IOException {
        XdrReader r;
        try {
            r = nfs(LOOKUP, dirop(dir, name), "LOOKUP " + name);
        } catch (NfsException e) {
            if (e.status() == NfsException.NOENT) {
                return Optional.empty();
            }
            throw e;
        }
        FileHandle fh = new FileHandle(r.opaque());
        return Optional.of(new Entry(fh, FileAttributes.readOptional(r)));
    }

    /** READ from the start to the end: the whole content of a small file. */
    public byte[] read(FileHandle file) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            XdrReader r = nfs(READ, handle(file).int64(out.size()).int32(CHUNK), "READ");
            FileAttributes.readOptional(r);
            r.int32(); // count, repeated by the length of the data
            boolean eof = r.bool();
            byte[] data = r.opaque();
            out.write(data, 0, data.length);
            if (eof || data.length == 0) {
                return out.toByteArray();
            }
            if (out.size() > MAX_SMALL_FILE) {
                throw new IOException("READ: file larger than " + MAX_SMALL_FILE + " bytes: not a record");
            }
        }
    }

    /** WRITE, FILE_SYNC: the data is on the server's disk when this returns. */
    public void write(FileHandle file, byte[] data) throws IOException {
        int done = 0;
        while (done < data.length) {
            int n = Math.min(CHUNK, data.length - done);
            XdrWriter args = handle(file).int64(done).int32(n).int32(FILE_SYNC).int32(n).raw(data, done, n);
            XdrReader r = nfs(WRITE, args, "WRITE");
            FileAttributes.skipWcc(r);
            int count = r.int32();
            if (count <= 0) {
                throw new IOException("WRITE: the server wrote nothing at offset " + done);
            }
            done += count;
        }
    }

    /**
     * CREATE a regular file.
     *
     * @param guarded fail with {@code NFS3ERR_EXIST} when the name exists (else it is truncated)
     */
    public Entry create(FileHandle dir, String name, int mode, boolean guarded) throws IOException {
        XdrWriter args = setMode(dirop(dir, name).int32(guarded ? 1 : 0), mode);
        return created(dir, name, nfs(CREATE, args, "CREATE " + name));
    }

    public Entry mkdir(FileHandle dir, String name, int mode) throws IOException {
        return created(dir, name, nfs(MKDIR, setMode(dirop(dir, name), mode), "MKDIR " + name));
    }

    public void remove(FileHandle dir, String name) throws IOException {
        nfs(REMOVE, dirop(dir, name), "REMOVE " + name);
    }

    public void rmdir(FileHandle dir, String name) throws IOException {
        nfs(RMDIR, dirop(dir, name), "RMDIR " + name);
    }

    /** RENAME, atomic on the server: a file at {@code to} is replaced in one step. */
    public void rename(FileHandle fromDir, String from, FileHandle toDir, String to) throws IOException {
        nfs(RENAME, dirop(fromDir, from).append(dirop(toDir, to)), "RENAME " + from + " to " + to);
    }

    /** LINK: a second name for a file; fails with {@code NFS3ERR_EXIST} when the name is taken. */
    public void link(FileHandle file, FileHandle dir, String name) throws IOException {
        nfs(LINK, handle(file).append(dirop(dir, name)), "LINK " + name);
    }

    /** READDIR: every name in a directory but "." and "..". */
    public List<String> readdir(FileHandle dir) throws IOException {
        List<String> names = new ArrayList<>();
        long cookie = 0;
        byte[] verifier = new byte[8];
        while (true) {
            XdrReader r = nfs(READDIR, handle(dir).int64(cookie).fixedOpaque(verifier).int32(32 * 1024), "READDIR");
            FileAttributes.readOptional(r);
            verifier = r.fixedOpaque(8);
            while (r.bool()) {
                r.int64(); // fileid
                String name = r.string();
                cookie = r.int64();
                if (!name.equals(".") && !name.equals("..")) {
                    names.add(name);
                }
            }
            if (r.bool()) {
                return names;
            }
        }
    }

    public FsStat fsstat(FileHandle file) throws IOException {
        XdrReader r = nfs(FSSTAT, handle(file), "FSSTAT");
        FileAttributes.readOptional(r);
        return new FsStat(r.int64(), r.int64(), r.int64());
    }

    /** Closes the idle connections; calls after this open new ones. */
    @Override
    public void close() {
        synchronized (idle) {
            idle.forEach(RpcConnection::close);
            idle.clear();
        }
    }

    // ------------------------------------------------------------------ calls

    private Entry created(FileHandle dir, String name, XdrReader r) throws IOException {
        FileHandle fh = r.bool() ? new FileHandle(r.opaque()) : null;
        FileAttributes attrs = FileAttributes.readOptional(r);
        if (fh != null) {
            return new Entry(fh, attrs);
        }
        // RFC 1813 lets the server leave the handle out: look the new name up
        return lookup(dir, name).orElseThrow(() -> new IOException(name + " vanished right after it was created"));
    }

    /** An NFS call whose reply starts with nfsstat3; waits out NFS3ERR_JUKEBOX within the timeout. */
    private XdrReader nfs(int procedure, XdrWriter args, String what) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            XdrReader r = call(procedure, args);
            int status = r.int32();
            if (status == 0) {
                return r;
            }
            if (status != NfsException.JUKEBOX || System.nanoTime() > deadline) {
                throw new NfsException(status, what);
            }
            try {
                Thread.sleep(50); // the server asks us to come back (a file being recalled, a grace period)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(what + ": interrupted");
            }
        }
    }

    private XdrReader call(int procedure, XdrWriter args) throws IOException {
        boolean resent = false;
        while (true) {
            RpcConnection c;
            synchronized (idle) {
                c = idle.pollFirst();
            }
            boolean pooled = c != null;
            if (c == null) {
                c = RpcConnection.open(server, port(NFS, 3, "NFS v3"), timeout);
            }
            try {
                XdrReader r = c.call(NFS, 3, procedure, args, uid, gid);
                release(c);
                return r;
            } catch (RpcConnection.ClosedBeforeReplyException e) {
                c.close();
                if (!pooled || resent) {
                    throw e;
                }
                close(); // the server restarted: every pooled connection is as dead as this one
                resent = true;
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
        }
    }

    private void release(RpcConnection c) {
        synchronized (idle) {
            if (idle.size() < MAX_IDLE) {
                idle.addFirst(c);
                return;
            }
        }
        c.close();
    }

    /** The TCP port of a service, from the server's portmapper (PMAPPROC_GETPORT). */
    private int port(int program, int version, String service) throws IOException {
        try (RpcConnection c = RpcConnection.open(server, portmapperPort, timeout)) {
            XdrWriter args = new XdrWriter().int32(program).int32(version).int32(IPPROTO_TCP).int32(0);
            int port = c.call(PORTMAP, 2, 3, args, uid, gid).int32();
            if (port == 0) {
                throw new IOException("the portmapper of " + server + " knows no " + service + " over TCP: is the NFS server running?");
            }
            return port;
        }
    }

    private static XdrWriter handle(FileHandle fh) {
        return new XdrWriter().opaque(fh.bytes());
    }

    private static XdrWriter dirop(FileHandle dir, String name) {
        return handle(dir).string(name);
    }

    /** sattr3 setting only the mode; owner, size and times as the server chooses. */
    private static XdrWriter setMode(XdrWriter w, int mode) {
        return w.bool(true).int32(mode).bool(false).bool(false).bool(false).int32(0).int32(0);
    }
}
