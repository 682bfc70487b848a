package io.atoll.storage.host;

import io.atoll.storage.host.StorageAdapters.LoadedPlugin;
import io.atoll.storage.host.StorageAdapters.PluginFailure;
import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StoragePlugin;
import io.atoll.storage.spi.StorageSdk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Loads the storage plugins of a plugins folder: one sub-directory per plugin, named after it,
 * holding the plugin's jar and the jars it depends on (never the SDK: the host provides it).
 *
 * <p>For each directory, in name order:
 * <ol>
 * <li>each jar that declares {@code META-INF/services/io.atoll.storage.spi.StoragePlugin} must
 * carry the manifest attribute {@value StorageSdk#MANIFEST_ATTRIBUTE} equal to the host's
 * {@link StorageSdk#VERSION} (checked before any plugin code runs);
 * <li>a {@link PluginClassLoader} is made over its jars and the {@link StoragePlugin}s are found
 * with {@link ServiceLoader} in it;
 * <li>each factory's {@link StorageAdapterFactory#sdkVersion()} must equal the host's, and its name
 * must be valid and not provided by an earlier plugin;
 * <li>each factory's {@code create} gets a work directory {@code <workRoot>/<adapter>} (mode 0700).
 * </ol>
 * All plugin code runs with the plugin's loader as the thread context class loader. A plugin
 * passes every step or is refused as a whole ({@link StorageErrorCode#PLUGIN_INCOMPATIBLE}):
 * logged, recorded in {@link StorageAdapters#failures()}, its class loader closed; the other
 * plugins load regardless.
 */
public final class PluginLoader {
    private static final Logger LOG = Logger.getLogger(PluginLoader.class);
    /** The rule of {@link StorageAdapterFactory#name()}; it also makes the name safe as a directory name. */
    private static final Pattern ADAPTER_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final String SERVICE_FILE = "META-INF/services/" + StoragePlugin.class.getName();
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private final Path pluginsDir;
    private final Path workRoot;
    private final String hostUuid;
    private final CommandRunner commands;

    /**
     * @param pluginsDir the plugins folder; missing means no plugin
     * @param workRoot where the adapters' work directories go (created if missing)
     * @param hostUuid this host, for {@link AdapterContext#hostUuid()}
     * @param commands the command runner the adapters get
     */
    public PluginLoader(Path pluginsDir, Path workRoot, String hostUuid, CommandRunner commands) {
        this.pluginsDir = Objects.requireNonNull(pluginsDir, "pluginsDir");
        this.workRoot = Objects.requireNonNull(workRoot, "workRoot");
        this.hostUuid = Objects.requireNonNull(hostUuid, "hostUuid");
        this.commands = Objects.requireNonNull(commands, "commands");
    }

    /**
     * Loads every plugin. Called once per host process, at start, on one thread. A bad plugin
     * never makes it throw.
     *
     * @throws UncheckedIOException when the plugins folder exists but cannot be listed
     */
    public StorageAdapters load() {
        Map<String, StorageAdapter> adapters = new HashMap<>();
        Map<String, String> owners = new HashMap<>(); // adapter type → plugin that provides it
        List<LoadedPlugin> loaded = new ArrayList<>();
        List<PluginFailure> failures = new ArrayList<>();
        List<PluginClassLoader> loaders = new ArrayList<>();
        for (Path dir : pluginDirectories(failures)) {
            String plugin = dir.getFileName().toString();
            PluginClassLoader loader = null;
            try {
                List<Path> jars = jars(plugin, dir);
                checkManifests(plugin, dir, jars);
                loader = new PluginClassLoader(plugin, jars, StorageSdk.class.getClassLoader());
                Map<String, StorageAdapter> mine = start(plugin, dir, loader, owners);
                for (Map.Entry<String, StorageAdapter> e : mine.entrySet()) {
                    adapters.put(e.getKey(), new StorageAdapters.ContextAdapter(e.getValue(), loader));
                    owners.put(e.getKey(), plugin);
                }
                loaders.add(loader);
                loaded.add(new LoadedPlugin(plugin, dir, jars, List.copyOf(mine.keySet())));
                LOG.infof("storage plugin %s loaded from %s: adapters %s", plugin, dir, mine.keySet());
            } catch (StorageException e) {
                refuse(failures, plugin, dir, loader, e.getMessage(), e.getCause());
            }
        }
        return new StorageAdapters(adapters, loaded, failures, loaders);
    }

    /** Checks each factory, then creates each adapter; the first problem refuses the plugin. */
    private Map<String, StorageAdapter> start(String plugin, Path dir, PluginClassLoader loader, Map<String, String> owners) {
        String stage = "creating its StoragePlugin";
        try (PluginClassLoader.Context c = loader.enter()) {
            List<StorageAdapterFactory> factories = new ArrayList<>();
            for (StoragePlugin p : ServiceLoader.load(StoragePlugin.class, loader)) {
                stage = "listing the adapters of " + p.getClass().getName();
                factories.addAll(p.adapterFactories());
                stage = "creating its StoragePlugin";
            }
            if (factories.isEmpty()) {
                throw refused(plugin, dir, "provides no adapter: its StoragePlugin lists no factory; fix the plugin or remove its directory");
            }
            Map<String, StorageAdapterFactory> byName = new LinkedHashMap<>();
            for (StorageAdapterFactory f : factories) {
                stage = "checking " + f.getClass().getName();
                String name = f.name();
                int version = f.sdkVersion();
                if (version != StorageSdk.VERSION) {
                    throw refused(plugin, dir, "adapter '" + name + "' was compiled against storage SDK " + version
                            + " but this host has SDK " + StorageSdk.VERSION + " (its manifest disagrees: the build is broken): "
                            + "rebuild the plugin against SDK " + StorageSdk.VERSION);
                }
                if (name == null || !ADAPTER_NAME.matcher(name).matches()) {
                    throw refused(plugin, dir, "adapter name '" + name + "' of " + f.getClass().getName()
                            + " is not allowed: use 1-63 lower-case letters, digits and '-'; fix the plugin");
                }
                String owner = byName.containsKey(name) ? plugin : owners.get(name);
                if (owner != null) {
                    throw refused(plugin, dir, "adapter type '" + name + "' is provided already by plugin '" + owner
                            + "': remove one of the two plugins from " + pluginsDir + " and restart");
                }
                byName.put(name, f);
            }
            Map<String, StorageAdapter> out = new LinkedHashMap<>();
            for (StorageAdapterFactory f : byName.values()) {
                stage = "starting adapter '" + f.name() + "'";
                StorageAdapter a = f.create(new AdapterContext(hostUuid, workDir(plugin, dir, f.name()), commands));
                if (a == null) {
                    throw refused(plugin, dir, "adapter '" + f.name() + "': its factory returned no adapter; fix the plugin");
                }
                out.put(f.name(), a);
            }
            return out;
        } catch (Refusal e) {
            throw e;
        } catch (Throwable t) { // whatever the plugin throws, checked ones included, refuses it alone
            rethrowIfFatal(t);
            throw failedWhile(plugin, dir, stage, t);
        }
    }

    /** The plugin directories in name order; misplaced jars are recorded as failures. */
    private List<Path> pluginDirectories(List<PluginFailure> failures) {
        if (!Files.isDirectory(pluginsDir)) {
            LOG.warnf("the storage plugins folder %s does not exist: no storage plugin loaded", pluginsDir);
            return List.of();
        }
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(pluginsDir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    dirs.add(p);
                } else if (name.endsWith(".jar")) {
                    refuse(failures, name, p, null, "storage plugin jar " + p + " is directly in the plugins folder: put each plugin in a directory of its own, "
                            + pluginsDir.resolve("<plugin>").resolve(name) + ", and restart", null);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the storage plugins folder " + pluginsDir, e);
        }
        dirs.sort(null);
        return dirs;
    }

    private static List<Path> jars(String plugin, Path dir) {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
            s.forEach(jars::add);
        } catch (IOException e) {
            throw refused(plugin, dir, "cannot list the jars in its directory: " + e);
        }
        if (jars.isEmpty()) {
            throw refused(plugin, dir, "its directory holds no jar: put the plugin's jar and its dependencies in it, or remove the directory");
        }
        jars.sort(null);
        return jars;
    }

    /** The SDK version check of the manifests, before any class of the plugin is loaded. */
    private static void checkManifests(String plugin, Path dir, List<Path> jars) {
        boolean found = false;
        for (Path jar : jars) {
            try (JarFile jf = new JarFile(jar.toFile())) {
                if (jf.getEntry(SERVICE_FILE) == null) {
                    continue; // a dependency of the plugin: not built against the SDK
                }
                found = true;
                Manifest m = jf.getManifest();
                String v = m == null ? null : m.getMainAttributes().getValue(StorageSdk.MANIFEST_ATTRIBUTE);
                if (v == null) {
                    throw refused(plugin, dir, jar.getFileName() + " has no " + StorageSdk.MANIFEST_ATTRIBUTE
                            + " in its manifest, so the storage SDK it was built for is unknown; this host has SDK "
                            + StorageSdk.VERSION + ": rebuild the plugin against SDK " + StorageSdk.VERSION
                            + " with that manifest attribute");
                }
                if (!v.strip().equals(String.valueOf(StorageSdk.VERSION))) {
                    throw refused(plugin, dir, "built for storage SDK " + v.strip() + " (" + jar.getFileName() + ": "
                            + StorageSdk.MANIFEST_ATTRIBUTE + " " + v.strip() + ") but this host has SDK " + StorageSdk.VERSION
                            + ": rebuild it against SDK " + StorageSdk.VERSION + ", or install its build for SDK " + StorageSdk.VERSION);
                }
            } catch (IOException e) {
                throw refused(plugin, dir, "cannot read " + jar.getFileName() + " (" + e + "): is it a jar? Replace it or remove it");
            }
        }
        if (!found) {
            throw refused(plugin, dir, "none of its jars declares " + SERVICE_FILE
                    + ": it is not a storage plugin, or was packaged without that service file; rebuild it");
        }
    }

    /** {@code <workRoot>/<adapter>}, private to the host's user whatever the umask or a previous mode. */
    private Path workDir(String plugin, Path pluginDir, String adapter) {
        Path dir = workRoot.resolve(adapter);
        try {
            Files.createDirectories(workRoot);
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE));
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException(dir + " exists and is not a directory (or is a symbolic link)");
                }
            }
            Files.setPosixFilePermissions(dir, PRIVATE);
            return dir;
        } catch (IOException | UnsupportedOperationException e) {
            throw refused(plugin, pluginDir, "cannot make the work directory of adapter '" + adapter + "': " + e
                    + "; fix the host's storage work folder " + workRoot);
        }
    }

    private static Refusal refused(String plugin, Path dir, String why) {
        return new Refusal("storage plugin '" + plugin + "' (" + dir + "): " + why);
    }

    /** A refusal by the loader itself, told apart from what the plugin's code throws. */
    private static final class Refusal extends StorageException {
        private static final long serialVersionUID = 1L;

        Refusal(String message) {
            super(StorageErrorCode.PLUGIN_INCOMPATIBLE, message);
        }
    }

    private static StorageException failedWhile(String plugin, Path dir, String stage, Throwable t) {
        return new StorageException(StorageErrorCode.PLUGIN_INCOMPATIBLE, "storage plugin '" + plugin + "' (" + dir
                + ") failed while " + stage + ": " + describe(t)
                + "; fix the plugin or remove its directory (the host's log has the stack trace)", t);
    }

    private static void refuse(List<PluginFailure> failures, String plugin, Path dir, PluginClassLoader loader, String reason,
                               Throwable cause) {
        if (cause == null) {
            LOG.errorf("%s", reason);
        } else {
            LOG.errorf(cause, "%s", reason);
        }
        failures.add(new PluginFailure(plugin, dir, StorageErrorCode.PLUGIN_INCOMPATIBLE, reason));
        if (loader != null) {
            try {
                loader.close();
            } catch (IOException e) {
                LOG.warnf("cannot close the class loader of storage plugin %s: %s", plugin, e);
            }
        }
    }

    /** An exception and its causes in one line: a ServiceConfigurationError hides the real one. */
    private static String describe(Throwable t) {
        StringBuilder b = new StringBuilder(t.toString());
        int depth = 0;
        for (Throwable c = t.getCause(); c != null && depth++ < 5; c = c.getCause()) { // a cause cycle ends too
            b.append(", caused by ").append(c);
        }
        return b.toString();
    }

    /** Errors the JVM cannot go on after are not a plugin's to swallow; a stack overflow is. */
    private static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
            throw (VirtualMachineError) t;
        }
    }
}
