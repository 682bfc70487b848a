package com.example.atoll.sampledir;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.Names;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One attached sample-dir repository. Disk ids are uuids; an id that is not one is reported as
 * not found, so that no id can name a file outside the directory. Disks are created before their
 * record and deleted after it, so that a crash never leaves a record without its image.
 */
final class SampleDirRepository implements StorageRepository {
    /** Without SUPPORTS_LARGE_DISKS the SDK caps a disk at 2 TiB. */
    static final long MAX_SIZE = 2L << 40;
    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern OWN_FILE = Pattern.compile(ID.pattern() + "\\.(raw|properties)(\\.tmp)?");
    private static final String META = "meta.";
    private static final int BLOCK = 1 << 20;

    private final String uuid;
    private final String name;
    private final Path dir;
    private final CommandRunner commands;
    private final Runnable onDetach;
    /** Disks attached on this host; a local repository has no other holder to ask. */
    private final Map<String, AccessMode> attached = new ConcurrentHashMap<>();

    SampleDirRepository(String uuid, String name, Path dir, CommandRunner commands, Runnable onDetach) {
        this.uuid = uuid;
        this.name = name;
        this.dir = dir;
        this.commands = commands;
        this.onDetach = onDetach;
    }

    static boolean isOwnFile(String fileName) {
        return OWN_FILE.matcher(fileName).matches();
    }

    Set<String> attachedDisks() {
        return new TreeSet<>(attached.keySet());
    }

    @Override
    public SrInfo info() {
        try {
            FileStore store = Files.getFileStore(dir);
            long total = store.getTotalSpace();
            long virtual = 0;
            for (String id : ids()) {
                virtual += Files.size(raw(id));
            }
            return new SrInfo(uuid, name, SampleDirFactory.TYPE, false, total, total - store.getUsableSpace(), virtual);
        } catch (IOException e) {
            throw PropertiesFile.failed("read storage repository " + name + " in " + dir, e);
        }
    }

    @Override
    public List<VirtualDiskInfo> scan() {
        List<String> ids = ids();
        Map<String, Long> used = allocated(ids);
        List<VirtualDiskInfo> out = new ArrayList<>();
        for (String id : ids) {
            try {
                out.add(read(id, used.getOrDefault(id, 0L)));
            } catch (StorageException e) {
                if (e.code() != StorageErrorCode.NOT_FOUND) {
                    throw e;
                }
                // deleted while we listed
            }
        }
        return out;
    }

    @Override
    public VirtualDiskInfo disk(String diskId) {
        return read(diskId, allocated(List.of(diskId)).getOrDefault(diskId, 0L));
    }

    @Override
    public VirtualDiskInfo createDisk(DiskCreateRequest request) {
        checkMax(request.name(), request.virtualSize());
        String id = UUID.randomUUID().toString();
        try {
            Files.createFile(raw(id));
            try (RandomAccessFile f = new RandomAccessFile(raw(id).toFile(), "rw")) {
                f.setLength(request.virtualSize()); // a hole: no block is allocated until written
            }
            writeRecord(id, request.name(), Instant.now(), request.metadata());
        } catch (IOException e) {
            deleteQuietly(raw(id));
            throw PropertiesFile.failed("create disk " + request.name() + " in " + dir, e);
        }
        return disk(id);
    }

    @Override
    public void deleteDisk(String diskId, LiveBlockDevice live) {
        // No backing chains here, so there is nothing to merge and live is not needed.
        VirtualDiskInfo d = disk(diskId);
        checkDetached(d, "delete");
        try {
            Files.delete(record(diskId));
            Files.deleteIfExists(raw(diskId));
        } catch (IOException e) {
            throw PropertiesFile.failed("delete disk " + d.name(), e);
        }
    }

    @Override
    public VirtualDiskInfo resize(String diskId, long newSize) {
        VirtualDiskInfo d = disk(diskId);
        Names.checkSize("disk " + d.name(), newSize);
        checkMax(d.name(), newSize);
        if (newSize < d.virtualSize()) {
            throw new StorageException(StorageErrorCode.SHRINK_NOT_ALLOWED, "disk " + d.name() + " is " + d.virtualSize()
                    + " bytes: shrinking it to " + newSize + " would lose data; give a size of at least " + d.virtualSize());
        }
        // QEMU would not see the new size of an open raw file without block_resize, which the
        // adapter cannot send: growing is offline only.
        checkDetached(d, "resize");
        try (RandomAccessFile f = new RandomAccessFile(raw(diskId).toFile(), "rw")) {
            f.setLength(newSize);
        } catch (IOException e) {
            throw PropertiesFile.failed("resize disk " + d.name(), e);
        }
        return disk(diskId);
    }

    /** Full clones only: a raw file cannot share blocks with another. The copy keeps its holes. */
    @Override
    public VirtualDiskInfo clone(String sourceId, String cloneName, CloneMode mode) {
        if (mode != CloneMode.FULL) {
            return StorageRepository.super.clone(sourceId, cloneName, mode); // the exact NOT_SUPPORTED error
        }
        Names.checkName("disk", cloneName);
        VirtualDiskInfo source = disk(sourceId);
        String id = UUID.randomUUID().toString();
        try {
            sparseCopy(raw(sourceId), raw(id));
            writeRecord(id, cloneName, Instant.now(), Map.of());
        } catch (IOException e) {
            deleteQuietly(raw(id));
            throw PropertiesFile.failed("clone disk " + source.name() + " to " + cloneName, e);
        }
        return disk(id);
    }

    @Override
    public VirtualDiskInfo setMetadata(String diskId, Map<String, String> metadata) {
        VirtualDiskInfo d = disk(diskId);
        try {
            writeRecord(diskId, d.name(), d.createdAt(), metadata);
        } catch (IOException e) {
            throw PropertiesFile.failed("write the metadata of disk " + d.name(), e);
        }
        return disk(diskId);
    }

    @Override
    public synchronized DiskAttachment attach(String diskId, AccessMode mode) {
        disk(diskId);
        // Read-write wins when the same host attaches a disk twice.
        attached.merge(diskId, mode, (a, b) -> a == AccessMode.READ_WRITE ? a : b);
        return new DiskAttachment(Map.of("driver", "file", "filename", raw(diskId).toString()), "raw", Map.of(),
                mode == AccessMode.READ_ONLY, List.of());
    }

    @Override
    public synchronized void detach(String diskId) {
        attached.remove(diskId);
    }

    @Override
    public synchronized void detach() {
        if (!attached.isEmpty()) {
            throw new StorageException(StorageErrorCode.IN_USE, "storage repository " + name + ": disks " + attachedDisks()
                    + " are still attached on this host: detach them first");
        }
        onDetach.run();
    }

    private VirtualDiskInfo read(String id, long used) {
        if (!ID.matcher(id == null ? "" : id).matches()) {
            throw notFound(id);
        }
        try {
            Map<String, String> r = PropertiesFile.read(record(id));
            Map<String, String> meta = new HashMap<>();
            r.forEach((k, v) -> {
                if (k.startsWith(META)) {
                    meta.put(k.substring(META.length()), v);
                }
            });
            long size;
            try {
                size = Files.size(raw(id));
            } catch (NoSuchFileException e) {
                throw new StorageException(StorageErrorCode.CORRUPT, "disk " + r.get("name") + " (" + id + "): its image "
                        + raw(id) + " is missing: restore it from a backup, or delete the disk");
            }
            return new VirtualDiskInfo(id, r.get("name"), size, used, null, false, false,
                    Instant.parse(r.get("created-at")), meta);
        } catch (NoSuchFileException e) {
            throw notFound(id);
        } catch (IOException e) {
            throw PropertiesFile.failed("read disk " + id, e);
        }
    }

    private void writeRecord(String id, String diskName, Instant created, Map<String, String> metadata) throws IOException {
        Map<String, String> r = new HashMap<>();
        r.put("name", diskName);
        r.put("created-at", created.toString());
        metadata.forEach((k, v) -> r.put(META + k, v));
        PropertiesFile.write(record(id), r);
    }

    private List<String> ids() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.properties")) {
            for (Path p : s) {
                String f = p.getFileName().toString();
                String id = f.substring(0, f.length() - ".properties".length());
                if (ID.matcher(id).matches()) {
                    out.add(id);
                }
            }
        } catch (IOException e) {
            throw PropertiesFile.failed("list storage repository " + name + " in " + dir, e);
        }
        out.sort(null);
        return out;
    }

    /**
     * Bytes the images take on the file system, from {@code du}: Java cannot read a file's
     * allocated blocks, and thin images take far less than their size.
     */
    private Map<String, Long> allocated(List<String> ids) {
        List<String> cmd = new ArrayList<>(List.of("du", "--block-size=1", "--"));
        ids.stream().filter(id -> id != null && ID.matcher(id).matches() && Files.exists(raw(id)))
                .forEach(id -> cmd.add(raw(id).toString()));
        if (cmd.size() == 3) {
            return Map.of();
        }
        CommandRunner.Result r = commands.run(cmd);
        // du exits 1 when one file went away since the listing, and still reports the others.
        if (!r.ok() && r.stdout().isBlank()) {
            throw CommandRunner.failed(r, List.of());
        }
        Map<String, Long> out = new HashMap<>();
        for (String line : r.stdout().split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                String file = Path.of(line.substring(tab + 1)).getFileName().toString();
                out.put(file.substring(0, file.length() - ".raw".length()), Long.parseLong(line.substring(0, tab)));
            }
        }
        return out;
    }

    /** Copies block by block, skipping blocks of zeroes, so that the copy is as thin as the source. */
    private static void sparseCopy(Path from, Path to) throws IOException {
        Files.createFile(to);
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             RandomAccessFile outFile = new RandomAccessFile(to.toFile(), "rw")) {
            long size = in.size();
            outFile.setLength(size);
            FileChannel out = outFile.getChannel();
            ByteBuffer buf = ByteBuffer.allocate(BLOCK);
            byte[] zeroes = new byte[BLOCK];
            for (long pos = 0; pos < size; ) {
                buf.clear();
                int n = in.read(buf, pos);
                if (n < 0) {
                    break;
                }
                if (Arrays.mismatch(buf.array(), 0, n, zeroes, 0, n) >= 0) {
                    buf.flip();
                    for (long at = pos; buf.hasRemaining(); ) {
                        at += out.write(buf, at);
                    }
                }
                pos += n;
            }
            out.force(true); // the copy is on disk before its record makes it visible
        }
    }

    private void checkMax(String diskName, long size) {
        if (size > MAX_SIZE) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "disk " + diskName + ": " + size
                    + " bytes is above the 2 TiB this adapter supports (it does not support disks larger than 2 TiB)");
        }
    }

    private void checkDetached(VirtualDiskInfo d, String action) {
        if (attached.containsKey(d.id())) {
            throw new StorageException(StorageErrorCode.IN_USE, "cannot " + action + " disk " + d.name()
                    + ": it is attached on this host; shut down its VM first");
        }
    }

    private StorageException notFound(String id) {
        return new StorageException(StorageErrorCode.NOT_FOUND, "storage repository " + name + " has no disk " + id);
    }

    private Path raw(String id) {
        return dir.resolve(id + ".raw");
    }

    private Path record(String id) {
        return dir.resolve(id + ".properties");
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the failure being reported matters more; an orphan image is invisible to scan
        }
    }
}
