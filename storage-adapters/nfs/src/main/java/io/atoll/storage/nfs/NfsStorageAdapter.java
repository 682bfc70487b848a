package io.atoll.storage.nfs;

import io.atoll.storage.nfs.client.FileAttributes;
import io.atoll.storage.nfs.client.FileHandle;
import io.atoll.storage.nfs.client.NfsClient;
import io.atoll.storage.nfs.client.NfsException;
import io.atoll.storage.qcow2.ImageStore;
import io.atoll.storage.qcow2.Qcow2Repository;
import io.atoll.storage.qcow2.Qcow2StorageAdapter;
import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * qcow2 chains in a directory of an NFS export, shared by every host that reaches the server.
 * Nothing is mounted: QEMU opens the images with libnfs, the adapter handles its records with
 * {@link NfsImageStore}. One store (and its NFS connections) per repository location and process.
 */
public final class NfsStorageAdapter extends Qcow2StorageAdapter {
    static final Set<StorageBehavior> BEHAVIORS;

    static {
        Set<StorageBehavior> b = EnumSet.copyOf(chainBehaviors());
        b.add(StorageBehavior.SHARED);
        b.add(StorageBehavior.SUPPORTS_PROBE);
        b.add(StorageBehavior.SUPPORTS_HEARTBEAT);
        b.add(StorageBehavior.SUPPORTS_RELEASE_HOST);
        BEHAVIORS = Set.copyOf(b);
    }

    private final Map<NfsLocation, NfsImageStore> stores = new ConcurrentHashMap<>();

    NfsStorageAdapter(AdapterContext context) {
        super(context);
    }

    @Override
    public Set<StorageBehavior> behaviors() {
        return BEHAVIORS;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(
                new ConfigKey(NfsLocation.SERVER, true, false, "NFS server: host name or IPv4 address; it must run a portmapper on port 111"),
                new ConfigKey(NfsLocation.EXPORT, true, false, "exported directory, an absolute path such as /srv/atoll (NFSv3, no_root_squash)"),
                new ConfigKey(NfsLocation.PATH, true, false, "the repository's directory under the export, such as sr1 (created; must be new "
                        + "or empty); leave it out when probing to list the repositories of the export"));
    }

    @Override
    protected ImageStore store(SrConfig config) {
        return stores.computeIfAbsent(NfsLocation.of(config), NfsImageStore::new);
    }

    /**
     * With {@code path}: the repository in that directory, if any. Without: every repository in a
     * directory right under the export (an XAPI-style NFS probe).
     */
    @Override
    public List<SrInfo> probe(SrConfig config) {
        if (!config.get(NfsLocation.PATH, "").isBlank()) {
            return super.probe(config);
        }
        List<SrInfo> found = new ArrayList<>();
        for (String dir : directoriesOfExport(config.require(NfsLocation.SERVER), config.require(NfsLocation.EXPORT))) {
            Map<String, String> dc = new HashMap<>(config.deviceConfig());
            dc.put(NfsLocation.PATH, dir);
            SrConfig candidate = new SrConfig(config.uuid(), config.name(), config.type(), dc);
            if (store(candidate).exists(Qcow2Repository.SR_RECORD)) {
                found.addAll(super.probe(candidate));
            }
        }
        return found;
    }

    @Override
    public void destroy(SrConfig config) {
        super.destroy(config);
        NfsImageStore s = stores.remove(NfsLocation.of(config));
        if (s != null) {
            s.close();
        }
    }

    private static List<String> directoriesOfExport(String server, String export) {
        NfsLocation where = new NfsLocation(server, export, "probe"); // checks server and export
        try (NfsClient c = new NfsClient(where.server(), NfsImageStore.PORTMAPPER_PORT, NfsImageStore.DEFAULT_TIMEOUT, 0, 0)) {
            FileHandle root = c.mount(where.export());
            List<String> dirs = new ArrayList<>();
            for (String name : c.readdir(root)) {
                Optional<NfsClient.Entry> e = c.lookup(root, name);
                FileAttributes a = e.isEmpty() ? null : e.get().attributes() != null ? e.get().attributes() : c.getattr(e.get().handle());
                if (a != null && a.type() == FileAttributes.DIRECTORY && !name.startsWith(".")) {
                    dirs.add(name);
                }
            }
            return dirs.stream().sorted().toList();
        } catch (NfsException e) {
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, "probing " + server + ":" + export + " failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "NFS server " + server + " (export " + export
                    + ") cannot be reached to probe it: " + e.getMessage(), e);
        }
    }
}
