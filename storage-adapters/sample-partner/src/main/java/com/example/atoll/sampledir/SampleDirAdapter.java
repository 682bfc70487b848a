package com.example.atoll.sampledir;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageRepository;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Storage repositories that are directories of raw image files: {@code sr.properties} names the
 * repository, each disk is {@code <id>.raw} with its name and metadata in {@code <id>.properties}.
 * Local to one host (not {@code SHARED}). Thread-safe.
 */
final class SampleDirAdapter implements StorageAdapter {
    static final String PATH = "path";
    static final String SR_FILE = "sr.properties";

    /** Exactly what the code below implements; the host and the TCK hold the adapter to it. */
    private static final Set<StorageBehavior> BEHAVIORS = Collections.unmodifiableSet(EnumSet.of(
            StorageBehavior.SUPPORTS_FULL_CLONE, StorageBehavior.SUPPORTS_RESIZE,
            StorageBehavior.SUPPORTS_METADATA, StorageBehavior.THIN_PROVISIONING));

    private final AdapterContext context;
    /** The repositories attached on this host, by uuid, so that attaching again gives the same view. */
    private final ConcurrentMap<String, SampleDirRepository> attached = new ConcurrentHashMap<>();

    SampleDirAdapter(AdapterContext context) {
        this.context = context;
    }

    @Override
    public Set<StorageBehavior> behaviors() {
        return BEHAVIORS;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(new ConfigKey(PATH, true, false,
                "absolute path of the directory that holds the disk images (new or empty at create)"));
    }

    @Override
    public SrInfo create(SrConfig config) {
        Path dir = directory(config);
        if (Files.exists(dir.resolve(SR_FILE))) {
            throw new StorageException(StorageErrorCode.ALREADY_EXISTS, what(config) + ": " + dir
                    + " holds a sample-dir repository already: attach it, or give another path");
        }
        boolean made = !Files.exists(dir);
        try {
            if (!made && !isEmptyDirectory(dir)) {
                throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what(config) + ": " + dir
                        + " is not an empty directory: give a new or empty directory, so that destroy removes nothing else");
            }
            Files.createDirectories(dir);
            PropertiesFile.write(dir.resolve(SR_FILE), Map.of("uuid", config.uuid(), "name", config.name()));
        } catch (IOException e) {
            if (made) {
                deleteQuietly(dir);
            }
            throw PropertiesFile.failed("create " + what(config) + " in " + dir, e);
        }
        return new SampleDirRepository(config.uuid(), config.name(), dir, context.commands(), () -> { }).info();
    }

    @Override
    public StorageRepository attach(SrConfig config) {
        Path dir = directory(config);
        return attached.computeIfAbsent(config.uuid(), uuid -> {
            String name = check(config, dir).getOrDefault("name", config.name());
            return new SampleDirRepository(uuid, name, dir, context.commands(), () -> attached.remove(uuid));
        });
    }

    @Override
    public void destroy(SrConfig config) {
        Path dir = directory(config);
        SampleDirRepository repo = attached.get(config.uuid());
        if (repo != null && !repo.attachedDisks().isEmpty()) {
            throw new StorageException(StorageErrorCode.IN_USE, what(config) + ": disks " + repo.attachedDisks()
                    + " are still attached on this host: detach them first");
        }
        check(config, dir);
        attached.remove(config.uuid());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (SampleDirRepository.isOwnFile(f.getFileName().toString())) {
                    Files.deleteIfExists(f);
                }
            }
            // The marker goes last: a destroy cut short leaves a repository that can be destroyed again.
            Files.delete(dir.resolve(SR_FILE));
        } catch (IOException e) {
            throw PropertiesFile.failed("destroy " + what(config) + " in " + dir, e);
        }
        deleteQuietly(dir); // only if empty: files that are not ours stay
    }

    /** Reads the repository's marker and checks that it is the one the pool means. */
    private static Map<String, String> check(SrConfig config, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, what(config) + ": directory " + dir
                    + " does not exist: is its file system mounted?");
        }
        Path marker = dir.resolve(SR_FILE);
        if (!Files.exists(marker)) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, what(config) + ": there is no sample-dir repository in "
                    + dir + ": create it first");
        }
        try {
            Map<String, String> sr = PropertiesFile.read(marker);
            if (!config.uuid().equals(sr.get("uuid"))) {
                throw new StorageException(StorageErrorCode.NOT_FOUND, what(config) + ": the repository in " + dir
                        + " is " + sr.get("uuid") + ", not " + config.uuid() + ": check the device-config path");
            }
            return sr;
        } catch (IOException e) {
            throw PropertiesFile.failed("read " + marker, e);
        }
    }

    private static Path directory(SrConfig config) {
        String value = config.require(PATH);
        try {
            Path p = Path.of(value);
            if (p.isAbsolute()) {
                return p.normalize();
            }
        } catch (InvalidPathException e) {
            // reported below
        }
        throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, what(config) + ": device-config '" + PATH
                + "' must be an absolute directory path, not '" + value + "'");
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            return !s.iterator().hasNext();
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty, or gone: either way nothing of ours is left in it
        }
    }

    private static String what(SrConfig config) {
        return "storage repository " + config.name();
    }
}
