package io.atoll.storage.local;

import io.atoll.storage.qcow2.ImageStore;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Image files in a directory of the host (a local disk, or any file system the host mounts). */
final class LocalDirectoryStore implements ImageStore {
    private final Path dir;

    LocalDirectoryStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    private Path file(String name) {
        if (name.contains("/") || name.equals("..")) {
            throw new IllegalArgumentException("not a plain file name: " + name);
        }
        return dir.resolve(name);
    }

    @Override
    public String location(String name) {
        return name.isEmpty() ? dir.toString() : file(name).toString();
    }

    @Override
    public Map<String, Object> protocol(String name) {
        return Map.of("driver", "file", "filename", file(name).toString());
    }

    @Override
    public boolean exists(String name) {
        return Files.exists(file(name));
    }

    @Override
    public List<String> list() {
        checkReachable();
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".tmp-") && !n.equals(LocalHeartbeatArea.DIRECTORY)).sorted().toList();
        } catch (IOException e) {
            throw unavailable(e);
        }
    }

    @Override
    public String read(String name) {
        try {
            return Files.readString(file(name));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void write(String name, String content) {
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
        try {
            Files.writeString(tmp, content);
            Files.move(tmp, file(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            quietDelete(tmp);
            throw unavailable(e);
        }
    }

    @Override
    public boolean create(String name, String content) {
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
        try {
            Files.writeString(tmp, content);
            Files.createLink(file(name), tmp); // link(2) fails atomically when the name exists
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw unavailable(e);
        } finally {
            quietDelete(tmp);
        }
    }

    @Override
    public void delete(String name) {
        try {
            Files.deleteIfExists(file(name));
        } catch (IOException e) {
            throw unavailable(e);
        }
    }

    @Override
    public long[] space() {
        try {
            FileStore fs = Files.getFileStore(dir);
            return new long[] {fs.getTotalSpace(), fs.getTotalSpace() - fs.getUsableSpace()};
        } catch (IOException e) {
            throw unavailable(e);
        }
    }

    @Override
    public long allocated(String name) {
        try {
            return Files.size(file(name));
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void initialize() {
        try {
            Files.createDirectories(dir);
            try (var files = Files.list(dir)) {
                if (files.findAny().isPresent()) {
                    throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "directory " + dir
                            + " is not empty: give a new or empty directory for a new storage repository");
                }
            }
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "cannot create directory " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void destroy() {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(LocalDirectoryStore::quietDelete);
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void checkReachable() {
        if (!Files.isDirectory(dir)) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "directory " + dir + " does not exist (is its file system mounted?)");
        }
    }

    @Override
    public io.atoll.storage.spi.HeartbeatArea heartbeatArea() {
        return new LocalHeartbeatArea(dir);
    }

    private StorageException unavailable(IOException e) {
        return new StorageException(StorageErrorCode.UNAVAILABLE, "directory " + dir + ": " + e, e);
    }

    private static void quietDelete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
