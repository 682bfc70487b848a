package io.atoll.storage.nfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.tck.StorageAdapterTck;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NFS adapter against the storage TCK: each repository in a fresh directory of one ganesha
 * export on 127.0.0.1; the "server goes away" check stops and restarts ganesha.
 */
class NfsAdapterTckIT extends StorageAdapterTck {
    static GaneshaServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = GaneshaServer.launch();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected StorageAdapterFactory factory() {
        return new NfsStoragePlugin.Factory();
    }

    @Override
    protected Map<String, String> newLocation(String srUuid) {
        return Map.of("server", GaneshaServer.HOST, "export", server.exportPath(), "path", "sr-" + srUuid);
    }

    @Override
    protected Set<StorageBehavior> expectedBehaviors() {
        return NfsStorageAdapter.BEHAVIORS;
    }

    @Override
    protected Optional<ServerControl> serverControl() {
        return Optional.of(new ServerControl() {
            @Override
            public void stop() throws Exception {
                server.stop();
            }

            @Override
            public void start() throws Exception {
                server.start();
            }
        });
    }

    /** Beyond the TCK: a probe that names only the export lists the repositories in its directories. */
    @Test
    void probingAnExportWithoutPathFindsItsRepositories() throws Exception {
        Files.createDirectories(server.exportDir().resolve("not-a-repository"));
        Map<String, String> exportOnly = new HashMap<>(config.deviceConfig());
        exportOnly.remove("path");
        var found = adapter.probe(new SrConfig(UUID.randomUUID().toString(), "probe", "nfs", exportOnly));
        assertThat(found).extracting(SrInfo::uuid, SrInfo::name).contains(tuple(config.uuid(), config.name()));
    }
}
