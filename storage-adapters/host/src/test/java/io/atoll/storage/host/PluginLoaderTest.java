package io.atoll.storage.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.storage.host.StorageAdapters.PluginFailure;
import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.StorageSdk;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader against real plugin jars: the sample partner plugin as built by its module, and small
 * plugins compiled here, each broken in one way.
 */
class PluginLoaderTest {
    static final String SAMPLE_TYPE = "sample-dir";
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;
    private Path plugins;
    private Path work;
    private StorageAdapters loaded;

    @BeforeEach
    void setUp() throws IOException {
        plugins = Files.createDirectories(tmp.resolve("plugins"));
        work = tmp.resolve("work");
    }

    @AfterEach
    void tearDown() {
        if (loaded != null) {
            loaded.close();
        }
    }

    @Test
    void loadsTheSamplePluginInItsOwnClassLoader() throws Exception {
        installSample("sample-dir");

        StorageAdapters adapters = load();

        assertThat(adapters.failures()).isEmpty();
        assertThat(adapters.types()).containsExactly(SAMPLE_TYPE);
        assertThat(adapters.plugins()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("sample-dir");
            assertThat(p.directory()).isEqualTo(plugins.resolve("sample-dir"));
            assertThat(p.adapterTypes()).containsExactly(SAMPLE_TYPE);
        });
        StorageAdapter adapter = adapters.adapter(SAMPLE_TYPE);
        Object impl = ((StorageAdapters.ContextAdapter) adapter).delegate();
        // The test's class path has the sample jar too: the plugin's classes must be another copy.
        Class<?> testsCopy = Class.forName(impl.getClass().getName());
        assertThat(impl.getClass()).isNotSameAs(testsCopy);
        assertThat(impl.getClass().getClassLoader()).isInstanceOf(PluginClassLoader.class)
                .isNotSameAs(getClass().getClassLoader());
        assertThat(impl).isInstanceOf(StorageAdapter.class); // the SPI types are the host's

        SrConfig sr = srConfig(tmp.resolve("sr"));
        adapter.create(sr);
        StorageRepository repo = adapter.attach(sr);
        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("boot", 8 * MIB));
        assertThat(((StorageAdapters.ContextRepository) repo).delegate().getClass().getClassLoader())
                .isSameAs(impl.getClass().getClassLoader());
        assertThat(tmp.resolve("sr").resolve(disk.id() + ".raw")).hasSize(8 * MIB);
        assertThat(Files.getPosixFilePermissions(work.resolve(SAMPLE_TYPE)))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void theSampleAdapterWorksThroughTheLoader() throws Exception {
        installSample("sample-dir");
        StorageAdapter adapter = load().adapter(SAMPLE_TYPE);
        Path dir = tmp.resolve("sr");
        SrConfig sr = srConfig(dir);

        assertThat(adapter.behaviors()).containsExactlyInAnyOrder(StorageBehavior.SUPPORTS_FULL_CLONE,
                StorageBehavior.SUPPORTS_RESIZE, StorageBehavior.SUPPORTS_METADATA, StorageBehavior.THIN_PROVISIONING);
        assertThat(adapter.create(sr).uuid()).isEqualTo(sr.uuid());
        assertCode(() -> adapter.create(sr), StorageErrorCode.ALREADY_EXISTS);
        StorageRepository repo = adapter.attach(sr);
        assertThat(adapter.attach(sr)).isEqualTo(repo);

        VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("boot", 64 * MIB, Map.of("os", "debian")));
        assertThat(disk.virtualSize()).isEqualTo(64 * MIB);
        assertThat(disk.physicalUtilisation()).as("sparse").isLessThan(64 * MIB);
        assertThat(disk.metadata()).containsExactly(Map.entry("os", "debian"));
        Path image = dir.resolve(disk.id() + ".raw");

        DiskAttachment att = repo.attach(disk.id(), AccessMode.READ_WRITE);
        assertThat(att.protocol()).isEqualTo(Map.of("driver", "file", "filename", image.toString()));
        assertThat(att.format()).isEqualTo("raw");
        assertCode(() -> repo.deleteDisk(disk.id()), StorageErrorCode.IN_USE);
        assertCode(() -> repo.resize(disk.id(), 128 * MIB), StorageErrorCode.IN_USE);
        assertCode(repo::detach, StorageErrorCode.IN_USE);
        repo.detach(disk.id());

        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.seek(3 * MIB);
            f.write("guest data".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(repo.resize(disk.id(), 128 * MIB).virtualSize()).isEqualTo(128 * MIB);
        assertCode(() -> repo.resize(disk.id(), 64 * MIB), StorageErrorCode.SHRINK_NOT_ALLOWED);
        VirtualDiskInfo copy = repo.clone(disk.id(), "boot copy", CloneMode.FULL);
        assertThat(copy.virtualSize()).isEqualTo(128 * MIB);
        assertThat(copy.physicalUtilisation()).as("the copy keeps the holes").isLessThan(128 * MIB);
        assertThat(Files.mismatch(image, dir.resolve(copy.id() + ".raw"))).isEqualTo(-1L);
        assertThatThrownBy(() -> repo.clone(disk.id(), "linked", CloneMode.LINKED)).isInstanceOf(StorageException.class)
                .hasMessage(StorageBehavior.SUPPORTS_LINKED_CLONE.notSupportedMessage());
        assertThatThrownBy(() -> repo.snapshot(disk.id(), "s1")).isInstanceOf(StorageException.class)
                .hasMessage(StorageBehavior.SUPPORTS_SNAPSHOT.notSupportedMessage());

        assertThat(repo.setMetadata(disk.id(), Map.of("owner", "ops")).metadata()).containsExactly(Map.entry("owner", "ops"));
        assertThat(repo.scan()).extracting(VirtualDiskInfo::name).containsExactlyInAnyOrder("boot", "boot copy");
        assertThat(repo.info().virtualAllocation()).isEqualTo(256 * MIB);
        repo.deleteDisk(copy.id());
        assertCode(() -> repo.disk(copy.id()), StorageErrorCode.NOT_FOUND);
        assertCode(() -> repo.disk("../sr"), StorageErrorCode.NOT_FOUND);
        repo.deleteDisk(disk.id());

        repo.detach();
        adapter.destroy(sr);
        assertThat(dir).doesNotExist();
    }

    @Test
    void refusesAPluginBuiltForAnotherSdkVersion() throws Exception {
        installSample("sample-dir");
        new PluginJar(tmp).source(probePlugin("future", "future", "2", "return new ProbeAdapter(ProbeAdapter.where());"))
                .source(PROBE_ADAPTER.replace("PKG", "future")).manifestVersion("2").service("future.TestPlugin")
                .write(plugins.resolve("future").resolve("future.jar"));

        StorageAdapters adapters = load();

        PluginFailure f = failure(adapters, "future");
        assertThat(f.directory()).isEqualTo(plugins.resolve("future"));
        assertThat(f.code()).isEqualTo(StorageErrorCode.PLUGIN_INCOMPATIBLE);
        assertThat(f.reason()).contains("'future'", "built for storage SDK 2", "this host has SDK " + StorageSdk.VERSION,
                "rebuild it against SDK " + StorageSdk.VERSION);
        assertThat(adapters.types()).containsExactly(SAMPLE_TYPE);
    }

    @Test
    void refusesAFactoryCompiledAgainstAnotherSdkVersion() throws Exception {
        new PluginJar(tmp).source(probePlugin("liar", "liar", "7", "return new ProbeAdapter(ProbeAdapter.where());"))
                .source(PROBE_ADAPTER.replace("PKG", "liar")).manifestVersion(String.valueOf(StorageSdk.VERSION))
                .service("liar.TestPlugin").write(plugins.resolve("liar").resolve("liar.jar"));

        PluginFailure f = failure(load(), "liar");

        assertThat(f.reason()).contains("adapter 'liar' was compiled against storage SDK 7",
                "this host has SDK " + StorageSdk.VERSION);
        assertThat(work.resolve("liar")).doesNotExist();
    }

    @Test
    void refusesAPluginJarWithoutTheManifestAttribute() throws Exception {
        new PluginJar(tmp).source(probePlugin("old", "old", "1", "return new ProbeAdapter(ProbeAdapter.where());"))
                .source(PROBE_ADAPTER.replace("PKG", "old")).service("old.TestPlugin")
                .write(plugins.resolve("old").resolve("old.jar"));

        PluginFailure f = failure(load(), "old");

        assertThat(f.reason()).contains("old.jar has no " + StorageSdk.MANIFEST_ATTRIBUTE,
                "rebuild the plugin against SDK " + StorageSdk.VERSION);
    }

    @Test
    void aFactoryThrowingAtCreateIsRecordedAndTheOtherPluginsWork() throws Exception {
        installSample("sample-dir");
        installProbe("broken", "throw new IllegalStateException(\"cannot reach the array controller\");");

        StorageAdapters adapters = load();

        assertThat(failure(adapters, "broken").reason()).contains("failed while starting adapter 'broken'",
                "IllegalStateException: cannot reach the array controller", "remove its directory");
        StorageAdapter sample = adapters.adapter(SAMPLE_TYPE);
        SrConfig sr = srConfig(tmp.resolve("sr"));
        sample.create(sr);
        assertThat(sample.attach(sr).createDisk(new DiskCreateRequest("d", MIB)).virtualSize()).isEqualTo(MIB);
        assertThatThrownBy(() -> adapters.adapter("broken")).isInstanceOf(StorageException.class)
                .hasMessageContaining("[broken]");
    }

    @Test
    void aPluginWhoseConstructorThrowsIsRecorded() throws Exception {
        String plugin = probePlugin("ctor", "ctor", "1", "return new ProbeAdapter(ProbeAdapter.where());")
                .replace("public final class TestPlugin implements StoragePlugin {",
                        "public final class TestPlugin implements StoragePlugin {\n"
                                + "    public TestPlugin() { throw new IllegalStateException(\"no licence key\"); }");
        new PluginJar(tmp).source(plugin).source(PROBE_ADAPTER.replace("PKG", "ctor")).manifestVersion("1")
                .service("ctor.TestPlugin").write(plugins.resolve("ctor").resolve("ctor.jar"));

        assertThat(failure(load(), "ctor").reason()).contains("failed while creating its StoragePlugin", "no licence key");
    }

    @Test
    void aDuplicateAdapterNameRefusesTheSecondPlugin() throws Exception {
        installSample("a-sample");
        installSample("b-sample");

        StorageAdapters adapters = load();

        assertThat(adapters.plugins()).extracting(StorageAdapters.LoadedPlugin::name).containsExactly("a-sample");
        assertThat(failure(adapters, "b-sample").reason())
                .contains("adapter type 'sample-dir' is provided already by plugin 'a-sample'");
        assertThat(adapters.adapter(SAMPLE_TYPE).behaviors()).isNotEmpty();
    }

    @Test
    void everyCallRunsWithThePluginsContextClassLoader() throws Exception {
        installProbe("probe", "return new ProbeAdapter(ProbeAdapter.where());");
        ClassLoader mine = Thread.currentThread().getContextClassLoader();

        StorageAdapter adapter = load().adapter("probe");

        // ProbeAdapter puts where the context loader pointed into the SrInfo names.
        SrConfig sr = srConfig(tmp.resolve("sr"));
        assertThat(adapter.create(sr).name()).isEqualTo("plugin/plugin"); // at factory.create / at create
        assertThat(adapter.attach(sr).info().name()).isEqualTo("plugin");
        assertThat(Thread.currentThread().getContextClassLoader()).isSameAs(mine);
    }

    @Test
    void misplacedJarsAndAMissingFolderAreReported() throws Exception {
        Files.copy(sampleJar(), plugins.resolve("stray.jar"));
        Files.createDirectories(plugins.resolve("empty"));

        StorageAdapters adapters = load();

        assertThat(failure(adapters, "stray.jar").reason()).contains("put each plugin in a directory of its own");
        assertThat(failure(adapters, "empty").reason()).contains("holds no jar");
        assertThat(new PluginLoader(tmp.resolve("none"), work, "h", new CommandRunner()).load().types()).isEmpty();
    }

    // ---- helpers ------------------------------------------------------------------------------

    private StorageAdapters load() {
        loaded = new PluginLoader(plugins, work, "host-1", new CommandRunner()).load();
        return loaded;
    }

    private void installSample(String dir) throws IOException {
        Path to = Files.createDirectories(plugins.resolve(dir));
        Files.copy(sampleJar(), to.resolve(sampleJar().getFileName()));
    }

    private void installProbe(String name, String createBody) throws IOException {
        new PluginJar(tmp).source(probePlugin(name, name, "StorageSdk.VERSION", createBody))
                .source(PROBE_ADAPTER.replace("PKG", name)).manifestVersion(String.valueOf(StorageSdk.VERSION))
                .service(name + ".TestPlugin").write(plugins.resolve(name).resolve(name + ".jar"));
    }

    static Path sampleJar() {
        String p = System.getProperty("atoll.sample.plugin.jar");
        assertThat(p).as("system property atoll.sample.plugin.jar (set by the host module's surefire configuration)").isNotNull();
        Path jar = Path.of(p);
        assertThat(jar).as("the sample plugin jar: build it first (mvn -f storage-adapters/sample-partner/pom.xml install;"
                + " in a reactor, run package or verify, not test, so that the jar exists)")
                .isRegularFile();
        return jar;
    }

    private static PluginFailure failure(StorageAdapters adapters, String plugin) {
        return adapters.failures().stream().filter(f -> f.name().equals(plugin)).findFirst()
                .orElseThrow(() -> new AssertionError("no failure for " + plugin + " in " + adapters.failures()));
    }

    private static SrConfig srConfig(Path dir) {
        return new SrConfig(UUID.randomUUID().toString(), "images", "sample-dir", Map.of("path", dir.toString()));
    }

    private static void assertCode(ThrowingCallable call, StorageErrorCode code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    /** A plugin with one factory; {@code sdk} is the expression its sdkVersion() returns. */
    static String probePlugin(String pkg, String adapterName, String sdk, String createBody) {
        return """
                package PKG;

                import io.atoll.storage.spi.*;
                import java.util.List;

                public final class TestPlugin implements StoragePlugin {
                    public List<StorageAdapterFactory> adapterFactories() {
                        return List.of(new StorageAdapterFactory() {
                            public String name() { return "NAME"; }
                            public int sdkVersion() { return SDK; }
                            public StorageAdapter create(AdapterContext context) { CREATE }
                        });
                    }
                }
                """.replace("PKG", pkg).replace("NAME", adapterName).replace("SDK", sdk).replace("CREATE", createBody);
    }

    /** An adapter that reports whether the context class loader was its plugin's, in SrInfo names. */
    static final String PROBE_ADAPTER = """
            package PKG;

            import io.atoll.storage.spi.*;
            import java.util.List;
            import java.util.Set;

            public final class ProbeAdapter implements StorageAdapter {
                private final String createdIn;
                ProbeAdapter(String createdIn) { this.createdIn = createdIn; }
                static String where() {
                    return Thread.currentThread().getContextClassLoader() == ProbeAdapter.class.getClassLoader() ? "plugin" : "elsewhere";
                }
                public Set<StorageBehavior> behaviors() { return Set.of(); }
                public SrInfo create(SrConfig c) { return new SrInfo(c.uuid(), createdIn + "/" + where(), c.type(), false, 0, 0, 0); }
                public void destroy(SrConfig c) { }
                public StorageRepository attach(SrConfig c) {
                    return new StorageRepository() {
                        public SrInfo info() { return new SrInfo(c.uuid(), where(), c.type(), false, 0, 0, 0); }
                        public List<VirtualDiskInfo> scan() { return List.of(); }
                        public VirtualDiskInfo disk(String id) { throw new StorageException(StorageErrorCode.NOT_FOUND, id); }
                        public VirtualDiskInfo createDisk(DiskCreateRequest r) { throw new StorageException(StorageErrorCode.NO_SPACE, "full"); }
                        public void deleteDisk(String id, LiveBlockDevice live) { }
                        public DiskAttachment attach(String id, AccessMode m) { throw new StorageException(StorageErrorCode.NOT_FOUND, id); }
                        public void detach(String id) { }
                        public void detach() { }
                    };
                }
            }
            """;

    /** Builds a jar at test time: sources compiled against the SDK, a chosen manifest, a service file. */
    static final class PluginJar {
        private final Path tmp;
        private final Map<String, String> sources = new LinkedHashMap<>();
        private String manifestVersion;
        private String service;

        PluginJar(Path tmp) {
            this.tmp = tmp;
        }

        /** A compilation unit; its class name is read from its package and first public class. */
        PluginJar source(String source) {
            String pkg = source.replaceFirst("(?s)^\\s*package\\s+([\\w.]+);.*", "$1");
            String cls = source.replaceFirst("(?s).*?public\\s+(?:final\\s+)?class\\s+(\\w+).*", "$1");
            sources.put(pkg + "." + cls, source);
            return this;
        }

        /** The {@value StorageSdk#MANIFEST_ATTRIBUTE} value; none when never called. */
        PluginJar manifestVersion(String version) {
            this.manifestVersion = version;
            return this;
        }

        /** The StoragePlugin implementation to name in the service file; none when never called. */
        PluginJar service(String implementation) {
            this.service = implementation;
            return this;
        }

        Path write(Path jar) throws IOException {
            Path work = Files.createTempDirectory(tmp, "jar");
            Path src = work.resolve("src");
            Path classes = Files.createDirectories(work.resolve("classes"));
            List<Path> files = new ArrayList<>();
            for (Map.Entry<String, String> e : sources.entrySet()) {
                Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
                Files.createDirectories(f.getParent());
                files.add(Files.writeString(f, e.getValue()));
            }
            compile(files, classes);
            Manifest m = new Manifest();
            m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            if (manifestVersion != null) {
                m.getMainAttributes().putValue(StorageSdk.MANIFEST_ATTRIBUTE, manifestVersion);
            }
            Files.createDirectories(jar.getParent());
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m);
                 Stream<Path> all = Files.walk(classes)) {
                for (Path f : (Iterable<Path>) all.filter(Files::isRegularFile).sorted()::iterator) {
                    out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
                if (service != null) {
                    out.putNextEntry(new JarEntry("META-INF/services/io.atoll.storage.spi.StoragePlugin"));
                    writeLine(out, service);
                    out.closeEntry();
                }
            }
            return jar;
        }

        private static void writeLine(OutputStream out, String line) throws IOException {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }

        private static void compile(List<Path> files, Path classes) throws IOException {
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            assertThat(javac).as("a JDK compiler (the tests need a JDK, not a JRE)").isNotNull();
            DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
            try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, null, StandardCharsets.UTF_8)) {
                List<String> options = List.of("--release", "17", "-classpath", sdkLocation().toString(), "-d", classes.toString());
                boolean ok = javac.getTask(null, fm, diags, options, null, fm.getJavaFileObjectsFromPaths(files)).call();
                assertThat(ok).as("compiling %s: %s", files, diags.getDiagnostics()).isTrue();
            }
        }

        /** The SDK the host runs with (its jar, or its classes folder in a reactor build). */
        private static Path sdkLocation() {
            try {
                return Path.of(StorageSdk.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
