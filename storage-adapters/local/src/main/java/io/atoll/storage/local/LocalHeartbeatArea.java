package io.atoll.storage.local;

import io.atoll.storage.spi.HeartbeatArea;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The heartbeat area of a local repository: {@code DIR/.atoll-ha/HOST.hb}, one file per host. A
 * write is ha-dr's statefile write: a temporary file, fsync, an atomic rename over the old file,
 * fsync of the directory — a reader sees the old heartbeat or the new one, and the new one is
 * durable once the call returns. Useful where the directory is on a file system several hosts
 * mount (a cluster file system, an NFS mount); on a purely local disk it is one host's alone.
 */
final class LocalHeartbeatArea implements HeartbeatArea {
    static final String DIRECTORY = ".atoll-ha";
    private static final String SUFFIX = ".hb";

    private final Path dir;

    LocalHeartbeatArea(Path repository) {
        this.dir = repository.resolve(DIRECTORY);
    }

    @Override
    public void write(String host, byte[] content) {
        HeartbeatArea.checkHost(host);
        Path tmp = dir.resolve(".tmp-" + host + "-" + UUID.randomUUID());
        try {
            if (!Files.isDirectory(dir.getParent())) {
                throw new NoSuchFileException(dir.getParent() + " (is its file system mounted?)");
            }
            if (!Files.isDirectory(dir)) {
                try {
                    Files.createDirectory(dir);
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another writer made it
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, dir.resolve(host + SUFFIX), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems refuse to sync a directory; the rename is atomic all the same
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "heartbeat of " + host + " cannot be written in " + dir + ": " + e, e);
        }
    }

    @Override
    public Map<String, byte[]> readAll() {
        Map<String, byte[]> out = new HashMap<>();
        if (!Files.isDirectory(dir.getParent())) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "directory " + dir.getParent() + " does not exist (is its file system mounted?)");
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                try {
                    out.put(name.substring(0, name.length() - SUFFIX.length()), Files.readAllBytes(f));
                } catch (NoSuchFileException gone) {
                    // removed meanwhile
                }
            }
        } catch (NoSuchFileException e) {
            return out; // nobody wrote yet
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "heartbeats cannot be read in " + dir + ": " + e, e);
        }
        return out;
    }
}
