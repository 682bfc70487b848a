package io.atoll.storage.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageSdk;
import java.net.URLClassLoader;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a plugin's class loader shows it: the SPI from the host, its own jars, the JDK, nothing else. */
class PluginClassLoaderTest {
    private static final String SAMPLE_ADAPTER = "com.example.atoll.sampledir.SampleDirAdapter";

    @TempDir
    Path tmp;

    @Test
    void spiTypesAreTheHostsEvenWhenThePluginBundlesCopies() throws Exception {
        Path jar = new PluginLoaderTest.PluginJar(tmp)
                .source("package io.atoll.storage.spi; public final class StorageSdk { public static final int VERSION = 99; }")
                .source("package io.atoll.storage.spi; public final class Smuggled { }")
                .write(tmp.resolve("spi-copy.jar"));
        try (PluginClassLoader loader = loader(jar)) {
            assertThat(loader.loadClass(StorageAdapter.class.getName())).isSameAs(StorageAdapter.class);
            assertThat(loader.loadClass(StorageSdk.class.getName())).isSameAs(StorageSdk.class);
            // The SPI package is the host's alone: a plugin cannot add classes to it.
            assertThatThrownBy(() -> loader.loadClass("io.atoll.storage.spi.Smuggled")).isInstanceOf(ClassNotFoundException.class);
        }
    }

    @Test
    void hostClassesOutsideTheSpiAreInvisible() throws Exception {
        try (PluginClassLoader loader = loader(PluginLoaderTest.sampleJar())) {
            for (String hostClass : List.of("org.jboss.logging.Logger", PluginLoader.class.getName(),
                    "org.junit.jupiter.api.Test")) {
                assertThat(Class.forName(hostClass, false, getClass().getClassLoader())).isNotNull();
                assertThatThrownBy(() -> Class.forName(hostClass, false, loader)).isInstanceOf(ClassNotFoundException.class);
            }
            assertThat(loader.getResource("org/jboss/logging/Logger.class")).isNull();
        }
    }

    @Test
    void pluginClassesComeFromItsOwnJarsFirst() throws Exception {
        Path jar = new PluginLoaderTest.PluginJar(tmp)
                .source("package org.jboss.logging; public final class Logger { public static String version() { return \"plugin's\"; } }")
                .write(tmp.resolve("own-logging.jar"));
        try (PluginClassLoader loader = loader(jar)) {
            Class<?> own = loader.loadClass("org.jboss.logging.Logger");
            assertThat(own.getClassLoader()).isSameAs(loader);
            assertThat(own.getMethod("version").invoke(null)).isEqualTo("plugin's");
            URL resource = loader.getResource("org/jboss/logging/Logger.class");
            assertThat(resource.toString()).contains("own-logging.jar");
        }
    }

    @Test
    void jdkClassesComeFromThePlatform() throws Exception {
        try (PluginClassLoader loader = loader(PluginLoaderTest.sampleJar())) {
            assertThat(loader.loadClass("java.util.List")).isSameAs(List.class);
            assertThat(loader.loadClass("java.sql.Connection")).isSameAs(java.sql.Connection.class);
            assertThat(loader.loadClass("javax.tools.ToolProvider")).isSameAs(javax.tools.ToolProvider.class);
        }
    }

    @Test
    void eachPluginHasItsOwnCopyOfItsClasses() throws Exception {
        try (PluginClassLoader a = loader(PluginLoaderTest.sampleJar()); PluginClassLoader b = loader(PluginLoaderTest.sampleJar())) {
            Class<?> inA = a.loadClass(SAMPLE_ADAPTER);
            assertThat(inA.getClassLoader()).isSameAs(a);
            assertThat(b.loadClass(SAMPLE_ADAPTER)).isNotSameAs(inA);
            assertThat(Class.forName(SAMPLE_ADAPTER)).as("the test class path's copy").isNotSameAs(inA);
            assertThat(StorageAdapter.class.isAssignableFrom(inA)).isTrue();
        }
    }

    @Test
    void enterSetsTheContextLoaderAndRestoresItEvenOnFailure() throws Exception {
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try (PluginClassLoader loader = loader(PluginLoaderTest.sampleJar())) {
            try (PluginClassLoader.Context c = loader.enter()) {
                assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(loader);
            }
            assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(before);
            assertThatThrownBy(() -> {
                try (PluginClassLoader.Context c = loader.enter()) {
                    throw new IllegalStateException("plugin failed");
                }
            }).hasMessage("plugin failed");
            assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(before);
        }
    }

    @Test
    void itsParentIsThePlatformLoader() throws Exception {
        try (URLClassLoader loader = loader(PluginLoaderTest.sampleJar())) {
            assertThat(loader.getParent()).isSameAs(ClassLoader.getPlatformClassLoader());
            assertThat(loader.getName()).isEqualTo("storage-plugin-test");
        }
    }

    private static PluginClassLoader loader(Path jar) {
        return new PluginClassLoader("test", List.of(jar), StorageSdk.class.getClassLoader());
    }
}
