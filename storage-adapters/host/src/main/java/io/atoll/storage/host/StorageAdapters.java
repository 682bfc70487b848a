package io.atoll.storage.host;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.ChangedBlocks;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * The storage adapters of this host process, by type name, with the plugins they came from and
 * the plugins that failed to load. Made once by {@link PluginLoader#load()}; immutable and
 * thread-safe after that. Every adapter it hands out, and every repository those give, sets the
 * thread context class loader to its plugin's around each call.
 */
public final class StorageAdapters implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StorageAdapters.class);

    /** A plugin that loaded: its directory and the adapter types it provides. */
    public record LoadedPlugin(String name, Path directory, List<Path> jars, List<String> adapterTypes) {
        public LoadedPlugin {
            jars = List.copyOf(jars);
            adapterTypes = List.copyOf(adapterTypes);
        }
    }

    /**
     * A plugin that was refused, for administrators: where it is, and why with what to do.
     *
     * @param code {@link StorageErrorCode#PLUGIN_INCOMPATIBLE}
     */
    public record PluginFailure(String name, Path directory, StorageErrorCode code, String reason) {
    }

    private final Map<String, StorageAdapter> adapters;
    private final List<LoadedPlugin> plugins;
    private final List<PluginFailure> failures;
    private final List<PluginClassLoader> loaders;

    StorageAdapters(Map<String, StorageAdapter> adapters, List<LoadedPlugin> plugins, List<PluginFailure> failures,
                    List<PluginClassLoader> loaders) {
        this.adapters = Map.copyOf(adapters);
        this.plugins = List.copyOf(plugins);
        this.failures = List.copyOf(failures);
        this.loaders = List.copyOf(loaders);
    }

    /** The adapter of a storage type, if a loaded plugin provides it. */
    public Optional<StorageAdapter> find(String type) {
        return Optional.ofNullable(adapters.get(type));
    }

    /**
     * The adapter of a storage type.
     *
     * @throws StorageException {@code NOT_FOUND} naming the installed types
     */
    public StorageAdapter adapter(String type) {
        StorageAdapter a = adapters.get(type);
        if (a == null) {
            String failed = failures.isEmpty() ? "" : "; " + failures.size() + " storage plugin(s) failed to load: "
                    + failures.stream().map(PluginFailure::name).toList() + ", see the host's plugin failures";
            throw new StorageException(StorageErrorCode.NOT_FOUND, "no storage adapter of type '" + type
                    + "' on this host (installed: " + types() + failed + "): install its plugin in the plugins folder and restart");
        }
        return a;
    }

    /** The storage types available, sorted. */
    public Set<String> types() {
        return new TreeMap<>(adapters).keySet();
    }

    /** The plugins that loaded, in the order they were loaded (by directory name). */
    public List<LoadedPlugin> plugins() {
        return plugins;
    }

    /** The plugins that were refused, in directory-name order. */
    public List<PluginFailure> failures() {
        return failures;
    }

    /**
     * Closes the plugins' class loaders (their open jar files). Only at host shutdown, after the
     * last call into any adapter: classes not loaded yet cannot be loaded after it.
     */
    @Override
    public void close() {
        for (PluginClassLoader l : loaders) {
            try {
                l.close();
            } catch (IOException e) {
                LOG.warnf("cannot close the class loader %s: %s", l.getName(), e);
            }
        }
    }

    /**
     * An adapter that runs every call with its plugin's context class loader. Hand-written rather
     * than a {@link java.lang.reflect.Proxy} so that it stays type-checked; a test checks that it
     * overrides every method of the interface, default ones included (a default it did not
     * override would run here, not in the plugin).
     */
    static final class ContextAdapter implements StorageAdapter {
        private final StorageAdapter delegate;
        private final ClassLoader loader;

        ContextAdapter(StorageAdapter delegate, ClassLoader loader) {
            this.delegate = delegate;
            this.loader = loader;
        }

        StorageAdapter delegate() {
            return delegate;
        }

        @Override
        public Set<StorageBehavior> behaviors() {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.behaviors();
            }
        }

        @Override
        public List<ConfigKey> configKeys() {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.configKeys();
            }
        }

        @Override
        public SrInfo create(SrConfig config) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.create(config);
            }
        }

        @Override
        public List<SrInfo> probe(SrConfig config) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.probe(config);
            }
        }

        @Override
        public StorageRepository attach(SrConfig config) {
            try (var c = PluginClassLoader.enter(loader)) {
                StorageRepository r = delegate.attach(config);
                if (r == null) {
                    throw new StorageException(StorageErrorCode.BACKEND_FAILED, "the " + delegate.getClass().getName()
                            + " adapter returned no repository for " + config + ": a bug in its plugin");
                }
                return new ContextRepository(r, loader);
            }
        }

        @Override
        public void destroy(SrConfig config) {
            try (var c = PluginClassLoader.enter(loader)) {
                delegate.destroy(config);
            }
        }

        @Override
        public String toString() {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.toString();
            }
        }
    }

    /** A repository that runs every call with its plugin's context class loader; see {@link ContextAdapter}. */
    static final class ContextRepository implements StorageRepository {
        private final StorageRepository delegate;
        private final ClassLoader loader;

        ContextRepository(StorageRepository delegate, ClassLoader loader) {
            this.delegate = delegate;
            this.loader = loader;
        }

        StorageRepository delegate() {
            return delegate;
        }

        @Override
        public SrInfo info() {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.info();
            }
        }

        @Override
        public List<VirtualDiskInfo> scan() {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.scan();
            }
        }

        @Override
        public VirtualDiskInfo disk(String diskId) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.disk(diskId);
            }
        }

        @Override
        public VirtualDiskInfo createDisk(DiskCreateRequest request) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.createDisk(request);
            }
        }

        @Override
        public void deleteDisk(String diskId, LiveBlockDevice live) {
            try (var c = PluginClassLoader.enter(loader)) {
                delegate.deleteDisk(diskId, live);
            }
        }

        @Override
        public void deleteDisk(String diskId) {
            try (var c = PluginClassLoader.enter(loader)) {
                delegate.deleteDisk(diskId);
            }
        }

        @Override
        public VirtualDiskInfo resize(String diskId, long newSize) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.resize(diskId, newSize);
            }
        }

        @Override
        public VirtualDiskInfo snapshot(String diskId, String name, LiveBlockDevice live) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.snapshot(diskId, name, live);
            }
        }

        @Override
        public VirtualDiskInfo snapshot(String diskId, String name) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.snapshot(diskId, name);
            }
        }

        @Override
        public VirtualDiskInfo clone(String sourceId, String name, CloneMode mode) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.clone(sourceId, name, mode);
            }
        }

        @Override
        public VirtualDiskInfo revert(String diskId, String snapshotId) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.revert(diskId, snapshotId);
            }
        }

        @Override
        public VirtualDiskInfo setMetadata(String diskId, Map<String, String> metadata) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.setMetadata(diskId, metadata);
            }
        }

        @Override
        public DiskAttachment attach(String diskId, AccessMode mode) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.attach(diskId, mode);
            }
        }

        @Override
        public DiskAttachment attachForIncomingMigration(String diskId) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.attachForIncomingMigration(diskId);
            }
        }

        @Override
        public void detach(String diskId) {
            try (var c = PluginClassLoader.enter(loader)) {
                delegate.detach(diskId);
            }
        }

        @Override
        public VirtualDiskInfo enableChangedBlockTracking(String diskId) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.enableChangedBlockTracking(diskId);
            }
        }

        @Override
        public VirtualDiskInfo disableChangedBlockTracking(String diskId) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.disableChangedBlockTracking(diskId);
            }
        }

        @Override
        public ChangedBlocks changedBlocks(String fromSnapshotId, String toSnapshotId) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.changedBlocks(fromSnapshotId, toSnapshotId);
            }
        }

        @Override
        public void detach() {
            try (var c = PluginClassLoader.enter(loader)) {
                delegate.detach();
            }
        }

        /** The plugin's heartbeat area, its calls in the plugin's context too. */
        @Override
        public io.atoll.storage.spi.HeartbeatArea heartbeatArea() {
            io.atoll.storage.spi.HeartbeatArea area;
            try (var c = PluginClassLoader.enter(loader)) {
                area = delegate.heartbeatArea();
            }
            if (area == null) {
                return null;
            }
            return new io.atoll.storage.spi.HeartbeatArea() {
                @Override
                public void write(String host, byte[] content) {
                    try (var c = PluginClassLoader.enter(loader)) {
                        area.write(host, content);
                    }
                }

                @Override
                public Map<String, byte[]> readAll() {
                    try (var c = PluginClassLoader.enter(loader)) {
                        return area.readAll();
                    }
                }

                @Override
                public String toString() {
                    return area.toString();
                }
            };
        }

        @Override
        public List<String> releaseHost(String hostUuid) {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.releaseHost(hostUuid);
            }
        }

        /** Same view, same wrapper: attach is idempotent, and callers may compare what it returns. */
        @Override
        public boolean equals(Object o) {
            try (var c = PluginClassLoader.enter(loader)) {
                return o instanceof ContextRepository r && r.delegate.equals(delegate);
            }
        }

        @Override
        public int hashCode() {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.hashCode();
            }
        }

        @Override
        public String toString() {
            try (var c = PluginClassLoader.enter(loader)) {
                return delegate.toString();
            }
        }
    }
}
