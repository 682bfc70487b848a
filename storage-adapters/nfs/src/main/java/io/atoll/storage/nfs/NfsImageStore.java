package io.atoll.storage.nfs;

import io.atoll.storage.nfs.client.FileHandle;
import io.atoll.storage.nfs.client.NfsClient;
import io.atoll.storage.nfs.client.NfsClient.Entry;
import io.atoll.storage.nfs.client.NfsException;
import io.atoll.storage.qcow2.ImageStore;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The image files of a repository in a directory of an NFS export, without a kernel mount: QEMU
 * and qemu-img reach the images with their own NFS client (libnfs, {@code nfs://} URLs), and this
 * store reads and writes the small record files with {@link NfsClient}, NFSv3 from Java.
 *
 * <p>Atomicity comes from the server: a record is written under a hidden temporary name and
 * renamed over the old one (readers see the old or the new file, never half); a claim is a
 * complete temporary file hard-linked to its name, which fails when the name exists — so a
 * claimed record is never seen empty either. Files whose names start with '.' are such
 * temporaries and are not listed.
 *
 * <p>Every method is bounded by the timeout and throws {@code UNAVAILABLE}, naming the server and
 * export, when the server cannot be reached. Thread-safe. The export must let root in
 * ({@code no_root_squash}): QEMU, running as root, creates the images, and this store writes as
 * uid 0 too.
 */
public final class NfsImageStore implements ImageStore, AutoCloseable {
    /** How long one NFS call may take before the server counts as unreachable. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** Where every NFS server's portmapper listens, and where libnfs (so QEMU) asks for ports. */
    public static final int PORTMAPPER_PORT = 111;
    private static final int FILE_MODE = 0644;
    private static final int DIR_MODE = 0755;

    /** The hidden directory of the repository that holds the HA heartbeats. */
    public static final String HEARTBEAT_DIRECTORY = ".atoll-ha";
    /** The bound of one heartbeat NFS call: short, so a cut host's writes fail fast. */
    public static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);

    private final NfsLocation location;
    private final NfsClient client;
    private final NfsClient heartbeatClient;
    private volatile FileHandle heartbeatDir;
    private volatile FileHandle exportRoot;
    private volatile FileHandle directory;

    public NfsImageStore(NfsLocation location) {
        this(location, PORTMAPPER_PORT, DEFAULT_TIMEOUT);
    }

    public NfsImageStore(NfsLocation location, int portmapperPort, Duration timeout) {
        this.location = location;
        this.client = new NfsClient(location.server(), portmapperPort, timeout, 0, 0);
        Duration hb = timeout.compareTo(HEARTBEAT_TIMEOUT) < 0 ? timeout : HEARTBEAT_TIMEOUT;
        this.heartbeatClient = new NfsClient(location.server(), portmapperPort, hb, 0, 0);
    }

    public NfsLocation nfsLocation() {
        return location;
    }

    @Override
    public String location(String name) {
        return location.url(plain(name, true));
    }

    /**
     * The options of QEMU's {@code nfs} block driver for an image. No {@code user}/{@code group}:
     * with them QEMU cannot resolve backing files next to the image.
     */
    @Override
    public Map<String, Object> protocol(String name) {
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("type", "inet");
        server.put("host", location.server());
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("driver", "nfs");
        node.put("server", server);
        node.put("path", location.directory() + "/" + plain(name, false));
        return node;
    }

    /**
     * What an overlay must record as its backing file: the absolute {@code nfs://} URL. QEMU 7.2's
     * nfs driver resolves a relative backing name against the overlay's own path plus '/'
     * ({@code nfs://h/dir/top.qcow2/base.qcow2}), so relative names do not open.
     */
    @Override
    public String backingReference(String name) {
        return location(name);
    }

    @Override
    public boolean exists(String name) {
        plain(name, false);
        return run("look up " + name, () -> {
            FileHandle d = dir();
            return d != null && client.lookup(d, name).isPresent();
        });
    }

    @Override
    public List<String> list() {
        return run("list", () -> {
            FileHandle d = dir();
            return d == null ? List.<String>of() : client.readdir(d).stream().filter(n -> !n.startsWith(".")).sorted().toList();
        });
    }

    @Override
    public String read(String name) {
        plain(name, false);
        return run("read " + name, () -> {
            FileHandle d = dir();
            for (int attempt = 0; d != null; attempt++) {
                Optional<Entry> e = client.lookup(d, name);
                if (e.isEmpty()) {
                    return null;
                }
                try {
                    return new String(client.read(e.get().handle()), StandardCharsets.UTF_8);
                } catch (NfsException x) {
                    if (!x.stale() || attempt == 4) {
                        throw x;
                    }
                    // a writer renamed a new file over it between LOOKUP and READ: look again
                }
            }
            return null;
        });
    }

    @Override
    public void write(String name, String content) {
        plain(name, false);
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        run("write " + name, () -> {
            FileHandle d = requireDir();
            String tmp = temporary(name);
            Entry t = client.create(d, tmp, FILE_MODE, true);
            try {
                client.write(t.handle(), data);
                long id = fileId(t);
                try {
                    client.rename(d, tmp, d, name);
                } catch (NfsException e) {
                    // a RENAME sent again after a lost connection may find its own work done
                    if (e.status() != NfsException.NOENT || !isFile(d, name, id)) {
                        throw e;
                    }
                }
            } catch (IOException | RuntimeException e) {
                removeQuietly(d, tmp);
                throw e;
            }
            return null;
        });
    }

    @Override
    public boolean create(String name, String content) {
        plain(name, false);
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        return run("create " + name, () -> {
            FileHandle d = requireDir();
            String tmp = temporary(name);
            Entry t = client.create(d, tmp, FILE_MODE, true);
            try {
                client.write(t.handle(), data);
                long id = fileId(t);
                try {
                    client.link(t.handle(), d, name);
                    return true;
                } catch (NfsException e) {
                    if (e.status() == NfsException.EXIST) {
                        return isFile(d, name, id); // ours when a LINK sent again found its own work
                    }
                    if (e.status() == NfsException.NOTSUPP) {
                        return createInPlace(d, name, data);
                    }
                    throw e;
                }
            } finally {
                removeQuietly(d, tmp);
            }
        });
    }

    /** For servers without hard links: CREATE GUARDED, then the content (briefly seen empty). */
    private boolean createInPlace(FileHandle d, String name, byte[] data) throws IOException {
        Entry e;
        try {
            e = client.create(d, name, FILE_MODE, true);
        } catch (NfsException x) {
            if (x.status() == NfsException.EXIST) {
                return false;
            }
            throw x;
        }
        client.write(e.handle(), data);
        return true;
    }

    @Override
    public void delete(String name) {
        plain(name, false);
        run("delete " + name, () -> {
            FileHandle d = dir();
            if (d != null) {
                removeIfPresent(d, name);
            }
            return null;
        });
    }

    @Override
    public long[] space() {
        return run("read the free space", () -> {
            FileHandle d = dir();
            NfsClient.FsStat s = client.fsstat(d == null ? root() : d);
            return new long[] {s.totalBytes(), s.totalBytes() - s.freeBytes()};
        });
    }

    @Override
    public long allocated(String name) {
        plain(name, false);
        return run("stat " + name, () -> {
            FileHandle d = dir();
            Optional<Entry> e = d == null ? Optional.empty() : client.lookup(d, name);
            if (e.isEmpty()) {
                throw new StorageException(StorageErrorCode.NOT_FOUND, "no file " + name + " in " + where());
            }
            return e.get().attributes() != null ? e.get().attributes().used() : client.getattr(e.get().handle()).used();
        });
    }

    @Override
    public void initialize() {
        run("create the directory", () -> {
            FileHandle cur = root();
            for (String c : location.components()) {
                Optional<Entry> e = client.lookup(cur, c);
                if (e.isPresent()) {
                    cur = e.get().handle();
                    continue;
                }
                try {
                    cur = client.mkdir(cur, c, DIR_MODE).handle();
                } catch (NfsException x) {
                    if (x.status() != NfsException.EXIST) {
                        throw x;
                    }
                    cur = client.lookup(cur, c).orElseThrow(() -> x).handle(); // made by someone else meanwhile
                }
            }
            List<String> present = client.readdir(cur);
            if (!present.isEmpty()) {
                throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, where() + " holds files already ("
                        + String.join(", ", present.subList(0, Math.min(5, present.size())))
                        + (present.size() > 5 ? ", …" : "") + "): choose an empty or new directory");
            }
            directory = cur;
            return null;
        });
    }

    @Override
    public void destroy() {
        run("remove the directory", () -> {
            FileHandle parent = null;
            FileHandle cur = root();
            for (String c : location.components()) {
                Optional<Entry> e = client.lookup(cur, c);
                if (e.isEmpty()) {
                    directory = null;
                    return null; // gone already
                }
                parent = cur;
                cur = e.get().handle();
            }
            for (String n : client.readdir(cur)) {
                if (n.equals(HEARTBEAT_DIRECTORY)) {
                    Optional<Entry> hb = client.lookup(cur, n);
                    if (hb.isPresent()) {
                        for (String f : client.readdir(hb.get().handle())) {
                            removeIfPresent(hb.get().handle(), f);
                        }
                    }
                    try {
                        client.rmdir(cur, n);
                    } catch (NfsException e) {
                        if (e.status() != NfsException.NOENT) {
                            throw e;
                        }
                    }
                    continue;
                }
                removeIfPresent(cur, n);
            }
            List<String> parts = location.components();
            try {
                client.rmdir(parent, parts.get(parts.size() - 1));
            } catch (NfsException e) {
                if (e.status() != NfsException.NOENT) {
                    throw e;
                }
            }
            directory = null;
            heartbeatDir = null;
            return null;
        });
    }

    /** One GETATTR of the repository's directory: the server answers and the directory is there. */
    @Override
    public void checkReachable() {
        run("reach the directory", () -> {
            client.getattr(requireDir());
            return null;
        });
    }

    /** One GETATTR of the export: the server answers, whether or not the directory exists yet. */
    @Override
    public void checkReachableOrAbsent() {
        run("reach the export", () -> {
            client.getattr(root());
            return null;
        });
    }

    /** Closes the idle NFS connections. The store stays usable: later calls open new ones. */
    @Override
    public void close() {
        client.close();
        heartbeatClient.close();
    }

    // ------------------------------------------------------------------ the HA heartbeat area

    /**
     * {@code .atoll-ha/HOST.hb} in the repository's directory, written with this store's own NFS
     * client: a hidden temporary file written FILE_SYNC, then renamed over the old one (atomic on
     * the server). Its calls have a short bound ({@link #HEARTBEAT_TIMEOUT}): when this host cannot
     * reach the server, writes fail within it instead of hanging, which is the point of a
     * heartbeat.
     */
    @Override
    public io.atoll.storage.spi.HeartbeatArea heartbeatArea() {
        return new io.atoll.storage.spi.HeartbeatArea() {
            @Override
            public void write(String host, byte[] content) {
                io.atoll.storage.spi.HeartbeatArea.checkHost(host);
                run("write the heartbeat of " + host, () -> {
                    FileHandle d = heartbeatDir(true);
                    String name = host + ".hb";
                    String tmp = temporary(name);
                    Entry t = heartbeatClient.create(d, tmp, FILE_MODE, true);
                    try {
                        heartbeatClient.write(t.handle(), content);
                        heartbeatClient.rename(d, tmp, d, name);
                    } catch (IOException | RuntimeException e) {
                        try {
                            heartbeatClient.remove(d, tmp);
                        } catch (IOException ignored) {
                            // a leftover temporary is hidden and removed with the directory
                        }
                        throw e;
                    }
                    return null;
                });
            }

            @Override
            public Map<String, byte[]> readAll() {
                return run("read the heartbeats", () -> {
                    Map<String, byte[]> out = new LinkedHashMap<>();
                    FileHandle d = heartbeatDir(false);
                    if (d == null) {
                        return out;
                    }
                    for (String n : heartbeatClient.readdir(d)) {
                        if (n.startsWith(".") || !n.endsWith(".hb")) {
                            continue;
                        }
                        for (int attempt = 0; ; attempt++) {
                            Optional<Entry> e = heartbeatClient.lookup(d, n);
                            if (e.isEmpty()) {
                                break;
                            }
                            try {
                                out.put(n.substring(0, n.length() - 3), heartbeatClient.read(e.get().handle()));
                                break;
                            } catch (NfsException x) {
                                if (!x.stale() || attempt == 4) {
                                    throw x;
                                }
                                // the writer renamed a new file over it between LOOKUP and READ: look again
                            }
                        }
                    }
                    return out;
                });
            }

            @Override
            public String toString() {
                return "heartbeat area " + HEARTBEAT_DIRECTORY + " of " + where();
            }
        };
    }

    private FileHandle heartbeatDir(boolean create) throws IOException {
        FileHandle h = heartbeatDir;
        if (h != null) {
            return h;
        }
        FileHandle d = requireDir();
        Optional<Entry> e = heartbeatClient.lookup(d, HEARTBEAT_DIRECTORY);
        if (e.isPresent()) {
            h = e.get().handle();
        } else if (!create) {
            return null;
        } else {
            try {
                h = heartbeatClient.mkdir(d, HEARTBEAT_DIRECTORY, DIR_MODE).handle();
            } catch (NfsException x) {
                if (x.status() != NfsException.EXIST) {
                    throw x;
                }
                h = heartbeatClient.lookup(d, HEARTBEAT_DIRECTORY).orElseThrow(() -> x).handle();
            }
        }
        heartbeatDir = h;
        return h;
    }

    @Override
    public String toString() {
        return "NfsImageStore[" + location + "]";
    }

    // ------------------------------------------------------------------ handles and errors

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    /**
     * Runs NFS calls as one store operation. A stale handle (the export was re-created, or the
     * server lost its handles) is forgotten and the operation runs once more from a new MOUNT.
     */
    private <T> T run(String what, Call<T> call) {
        for (int attempt = 0; ; attempt++) {
            try {
                return call.run();
            } catch (NfsException e) {
                if (e.stale() && attempt == 0) {
                    exportRoot = null;
                    directory = null;
                    heartbeatDir = null;
                    continue;
                }
                throw failed(what, e);
            } catch (IOException e) {
                throw new StorageException(StorageErrorCode.UNAVAILABLE, "NFS server " + location.server() + " (export "
                        + location.export() + ") cannot be reached to " + what + ": " + e.getMessage()
                        + "; check that the server runs and that this host reaches it", e);
            }
        }
    }

    private StorageException failed(String what, NfsException e) {
        String cause = what + " in " + where() + " failed: " + e.getMessage();
        return switch (e.status()) {
            case NfsException.NOSPC, NfsException.DQUOT -> new StorageException(StorageErrorCode.NO_SPACE, cause, e);
            case NfsException.ACCES, NfsException.PERM -> new StorageException(StorageErrorCode.BACKEND_FAILED, cause
                    + ": the export must let this host in read-write with root not squashed (no_root_squash)", e);
            case NfsException.ROFS -> new StorageException(StorageErrorCode.BACKEND_FAILED, cause + ": the export is read-only", e);
            default -> new StorageException(StorageErrorCode.BACKEND_FAILED, cause, e);
        };
    }

    private String where() {
        return "directory " + location.path() + " of " + location.server() + ":" + location.export();
    }

    private FileHandle root() throws IOException {
        FileHandle r = exportRoot;
        if (r == null) {
            try {
                r = client.mount(location.export());
            } catch (NfsException e) {
                throw new StorageException(StorageErrorCode.NOT_FOUND, "NFS server " + location.server() + " does not let this host mount "
                        + location.export() + " (" + e.getMessage() + "): check device-config 'export' and the server's export list", e);
            }
            exportRoot = r;
        }
        return r;
    }

    /** The repository's directory, or {@code null} when it does not exist. */
    private FileHandle dir() throws IOException {
        FileHandle d = directory;
        if (d != null) {
            return d;
        }
        FileHandle cur = root();
        for (String c : location.components()) {
            Optional<Entry> e = client.lookup(cur, c);
            if (e.isEmpty()) {
                return null;
            }
            cur = e.get().handle();
        }
        directory = cur;
        return cur;
    }

    private FileHandle requireDir() throws IOException {
        FileHandle d = dir();
        if (d == null) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, "there is no " + where() + ": create the repository first");
        }
        return d;
    }

    private void removeIfPresent(FileHandle d, String name) throws IOException {
        try {
            client.remove(d, name);
        } catch (NfsException e) {
            if (e.status() != NfsException.NOENT) {
                throw e;
            }
        }
    }

    private void removeQuietly(FileHandle d, String name) {
        try {
            client.remove(d, name);
        } catch (IOException ignored) {
            // a leftover temporary is hidden from list() and removed with the directory
        }
    }

    private long fileId(Entry e) throws IOException {
        return e.attributes() != null ? e.attributes().fileId() : client.getattr(e.handle()).fileId();
    }

    private boolean isFile(FileHandle d, String name, long fileId) throws IOException {
        Optional<Entry> e = client.lookup(d, name);
        return e.isPresent() && fileId(e.get()) == fileId;
    }

    private static String temporary(String name) {
        return "." + name + ".tmp-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /** A plain file name: no '/', not "." or ".."; empty only where the directory itself is meant. */
    private static String plain(String name, boolean emptyAllowed) {
        if (name == null || name.contains("/") || name.equals(".") || name.equals("..") || (name.isEmpty() && !emptyAllowed)) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "'" + name + "' is not a plain file name");
        }
        return name;
    }
}
