package io.atoll.storage.host;

import io.atoll.storage.spi.StorageSdk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The class loader of one storage plugin: its jars, isolated from the host and the other plugins.
 * Its parent is the platform class loader, so nothing of the host's class path is visible except:
 * <ul>
 * <li>classes of {@value StorageSdk#SPI_PACKAGE} and its sub-packages, which always come from the
 * host's SDK (the plugin's own copies are ignored), so that host and plugin share the SPI types;
 * <li>JDK classes, from the platform loader (a JDK class cannot be redefined anyway);
 * <li>everything else from the plugin's jars first, so that a plugin's library is its own version
 * whatever the host or another plugin uses.
 * </ul>
 * Resources follow the same order, plugin jars first. Thread-safe (parallel capable).
 */
public final class PluginClassLoader extends URLClassLoader {
    static {
        ClassLoader.registerAsParallelCapable();
    }

    private static final String SPI_PREFIX = StorageSdk.SPI_PACKAGE + ".";
    /** Packages of the JDK modules the platform loader (or the boot loader behind it) defines. */
    private static final Set<String> JDK_PACKAGES = ModuleLayer.boot().modules().stream()
            .filter(m -> m.getClassLoader() == null || m.getClassLoader() == ClassLoader.getPlatformClassLoader())
            .map(Module::getDescriptor).flatMap(d -> d.packages().stream()).collect(Collectors.toUnmodifiableSet());

    private final ClassLoader spiLoader;

    /**
     * @param pluginName the plugin's name, for diagnostics (class loader name)
     * @param jars the plugin's jars, searched in this order
     * @param spiLoader the loader of the host's SDK classes ({@code StorageSdk.class.getClassLoader()})
     */
    public PluginClassLoader(String pluginName, List<Path> jars, ClassLoader spiLoader) {
        super("storage-plugin-" + pluginName, urls(jars), ClassLoader.getPlatformClassLoader());
        this.spiLoader = Objects.requireNonNull(spiLoader, "spiLoader");
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (isSpi(name)) {
            return spiLoader.loadClass(name);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                if (isJdk(name)) {
                    c = getParent().loadClass(name);
                } else {
                    try {
                        c = findClass(name);
                    } catch (ClassNotFoundException e) {
                        // Not in the plugin: only the platform loader is left, which fails with the usual error.
                        c = getParent().loadClass(name);
                    }
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    public URL getResource(String name) {
        if (isSpi(name.replace('/', '.'))) {
            return spiLoader.getResource(name);
        }
        URL url = findResource(name);
        return url != null ? url : getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        if (isSpi(name.replace('/', '.'))) {
            return spiLoader.getResources(name);
        }
        List<URL> all = new ArrayList<>(Collections.list(findResources(name)));
        all.addAll(Collections.list(getParent().getResources(name)));
        return Collections.enumeration(all);
    }

    /**
     * Sets the current thread's context class loader to this plugin's until {@link Context#close()}
     * puts the previous one back: libraries inside the plugin (JAXB, JNDI, ServiceLoader without a
     * loader argument) look classes up there. Use it in a try-with-resources around every call
     * into the plugin, on the calling thread.
     */
    public Context enter() {
        return enter(this);
    }

    /** {@link #enter()} for any loader (tests, and wrappers that hold only a {@link ClassLoader}). */
    static Context enter(ClassLoader loader) {
        Thread t = Thread.currentThread();
        Context c = new Context(t, t.getContextClassLoader());
        t.setContextClassLoader(loader);
        return c;
    }

    /** A context class loader set on one thread; closing it restores the previous one. */
    public static final class Context implements AutoCloseable {
        private final Thread thread;
        private final ClassLoader previous;

        private Context(Thread thread, ClassLoader previous) {
            this.thread = thread;
            this.previous = previous;
        }

        @Override
        public void close() {
            thread.setContextClassLoader(previous);
        }
    }

    private static boolean isSpi(String name) {
        return name.startsWith(SPI_PREFIX);
    }

    private static boolean isJdk(String className) {
        int dot = className.lastIndexOf('.');
        return className.startsWith("java.") || dot > 0 && JDK_PACKAGES.contains(className.substring(0, dot));
    }

    private static URL[] urls(List<Path> jars) {
        return jars.stream().map(p -> {
            try {
                return p.toUri().toURL();
            } catch (MalformedURLException e) {
                throw new UncheckedIOException(e);
            }
        }).toArray(URL[]::new);
    }
}
