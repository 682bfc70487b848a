package io.atoll.storage.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.storage.host.StorageAdapters.ContextAdapter;
import io.atoll.storage.host.StorageAdapters.ContextRepository;
import io.atoll.storage.host.StorageAdapters.PluginFailure;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry, and the wrappers that run each call into a plugin with its context class loader. */
class StorageAdaptersTest {
    private final ClassLoader pluginLoader = new URLClassLoader("fake-plugin", new URL[0], null);
    private final List<String> calls = new ArrayList<>();

    @Test
    void theWrappersOverrideEveryMethodOfTheSpi() {
        // A method left to its interface default would run the default here, not the plugin's code.
        for (Class<?>[] pair : List.of(new Class<?>[] {StorageAdapter.class, ContextAdapter.class},
                new Class<?>[] {StorageRepository.class, ContextRepository.class})) {
            for (Method m : pair[0].getMethods()) {
                if (!Modifier.isStatic(m.getModifiers())) {
                    assertThat(declares(pair[1], m)).as("%s overrides %s", pair[1].getSimpleName(), m).isTrue();
                }
            }
        }
    }

    @Test
    void everyAdapterCallDelegatesWithThePluginsContextLoader() throws Exception {
        StorageAdapter wrapped = new ContextAdapter(stub(StorageAdapter.class), pluginLoader);
        for (Method m : StorageAdapter.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                callAndCheck(wrapped, m);
            }
        }
        assertThat(wrapped.attach(null)).isInstanceOf(ContextRepository.class);
    }

    @Test
    void everyRepositoryCallDelegatesWithThePluginsContextLoader() throws Exception {
        StorageRepository wrapped = new ContextRepository(stub(StorageRepository.class), pluginLoader);
        for (Method m : StorageRepository.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers())) {
                callAndCheck(wrapped, m);
            }
        }
    }

    @Test
    void theContextLoaderIsRestoredWhenThePluginThrows() {
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        StorageAdapter failing = (StorageAdapter) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {StorageAdapter.class}, (p, m, a) -> {
                    throw new StorageException(StorageErrorCode.UNAVAILABLE, "array down");
                });

        assertThatThrownBy(() -> new ContextAdapter(failing, pluginLoader).create(null)).hasMessage("array down");
        assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(before);
    }

    @Test
    void anUnknownTypeIsNotFoundNamingWhatIsInstalledAndWhatFailed() {
        StorageAdapters adapters = new StorageAdapters(Map.of("local", stub(StorageAdapter.class)), List.of(),
                List.of(new PluginFailure("vendor-x", Path.of("/plugins/vendor-x"), StorageErrorCode.PLUGIN_INCOMPATIBLE, "bad")),
                List.of());

        assertThat(adapters.find("local")).isPresent();
        assertThat(adapters.find("nfs")).isEmpty();
        assertThatThrownBy(() -> adapters.adapter("nfs")).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).isEqualTo(StorageErrorCode.NOT_FOUND);
            assertThat(e.getMessage()).contains("'nfs'", "installed: [local]", "[vendor-x]");
        });
    }

    /** Calls a wrapper method with dummy arguments and checks that the same method ran in the plugin's context. */
    private void callAndCheck(Object wrapped, Method m) throws Exception {
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        calls.clear();
        Object[] args = Arrays.stream(m.getParameterTypes()).map(t -> t == long.class ? (Object) 512L : null).toArray();
        try {
            m.invoke(wrapped, args);
        } catch (InvocationTargetException e) {
            throw new AssertionError("calling " + m, e.getCause());
        }
        assertThat(calls).as("delegated calls of %s", m).containsExactly(m.getName() + Arrays.toString(m.getParameterTypes())
                + " in " + pluginLoader.getName());
        assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(before);
    }

    /** A plugin object that records each call with the context loader it ran under. */
    @SuppressWarnings("unchecked")
    private <T> T stub(Class<T> type) {
        return (T) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            if (m.getDeclaringClass() == Object.class) {
                return switch (m.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> type.getSimpleName() + " stub";
                };
            }
            ClassLoader ctx = Thread.currentThread().getContextClassLoader();
            calls.add(m.getName() + Arrays.toString(m.getParameterTypes()) + " in " + (ctx == null ? null : ctx.getName()));
            if (m.getReturnType() == StorageRepository.class) {
                return stub(StorageRepository.class);
            }
            return m.getReturnType() == boolean.class ? false : m.getReturnType() == int.class ? 0 : null;
        });
    }

    private static boolean declares(Class<?> c, Method m) {
        try {
            return c.getDeclaredMethod(m.getName(), m.getParameterTypes()) != null;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }
}
