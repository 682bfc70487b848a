package io.atoll.agent.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.SrAttachRequest;
import io.atoll.node.api.SrState;
import io.atoll.storage.host.StorageAdapters;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.vm.NodeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The storage repositories attached on this host (XAPI's plugged PBDs), and the file that lets
 * them survive an agent restart.
 *
 * <p>Each attach request (uuid, name, type, device-config) is kept in
 * {@code STATE-DIR/storage-repositories.json}, mode 0600: device-config may hold secrets (a CHAP
 * password), which are never logged and never answered. At start every saved repository is
 * attached again; one that fails stays listed as <em>missing</em> with the reason (its calls answer
 * {@code SR_NOT_ATTACHED} saying so) and the agent starts regardless; a new {@code PUT} retries it.
 *
 * <p>Thread-safe: attach and detach are serialized with each other (they may wait on a slow
 * server); lookups never wait for them.
 */
public final class StorageRepositories {
    private static final Logger LOG = Logger.getLogger(StorageRepositories.class);
    static final String FILE = "storage-repositories.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What is saved of a repository: how to attach it again. */
    record Saved(String uuid, String name, String type, Map<String, String> deviceConfig) {
        Saved {
            deviceConfig = deviceConfig == null ? Map.of() : Map.copyOf(deviceConfig);
        }

        SrConfig config() {
            return new SrConfig(uuid, name, type, deviceConfig);
        }

        String label() {
            return "storage repository " + name + " (" + uuid + ", " + type + ")";
        }

        @Override
        public String toString() {
            return label(); // device-config may hold secrets
        }
    }

    /** A repository this host should have attached; {@code repository} is null while it is missing. */
    private record Entry(Saved saved, StorageRepository repository, String problem) {
    }

    private final StorageAdapters adapters;
    private final Path file;
    /** By uuid, in attach order; changed only under {@link #changes}. */
    private final Map<String, Entry> entries = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final Object changes = new Object();

    /** Reads the saved repositories and attaches each again; failures are logged, never thrown. */
    public StorageRepositories(StorageAdapters adapters, Path stateDir) {
        this.adapters = adapters;
        this.file = stateDir.resolve(FILE);
        for (Saved saved : load()) {
            try {
                entries.put(saved.uuid(), new Entry(saved, adapter(saved.type()).attach(saved.config()), null));
                LOG.infof("%s: attached again", saved.label());
            } catch (NodeException | StorageException e) {
                entries.put(saved.uuid(), new Entry(saved, null, e.getMessage()));
                LOG.errorf("%s: missing: attaching it again at start failed: %s", saved.label(), e.getMessage());
            }
        }
    }

    /** The attached repositories (not the missing ones), in the order they were attached. */
    public List<SrState> list() {
        List<Entry> attached;
        synchronized (entries) {
            attached = entries.values().stream().filter(e -> e.repository() != null).toList();
        }
        List<SrState> out = new ArrayList<>();
        for (Entry e : attached) {
            try {
                out.add(state(e.repository().info()));
            } catch (StorageException ex) {
                LOG.warnf("%s: cannot read its space: %s", e.saved().label(), ex.getMessage());
                out.add(new SrState(e.saved().uuid(), e.saved().name(), e.saved().type(), false, -1, -1, -1));
            }
        }
        return out;
    }

    public SrState state(String uuid) {
        try {
            return state(repository(uuid).info());
        } catch (StorageException e) {
            throw StorageErrors.toNode(e, "sr " + uuid);
        }
    }

    private static SrState state(SrInfo i) {
        return new SrState(i.uuid(), i.name(), i.type(), i.shared(), i.physicalSize(), i.physicalUtilisation(), i.virtualAllocation());
    }

    /** The repository's name for messages, or its uuid when it is not known here. */
    public String label(String uuid) {
        Entry e = entries.get(uuid);
        return e == null ? "storage repository " + uuid : e.saved().label();
    }

    /**
     * An attached repository.
     *
     * @throws NodeException {@code SR_NOT_ATTACHED}, saying why when it is missing since the start
     */
    public StorageRepository repository(String uuid) {
        Entry e = entries.get(uuid);
        if (e == null) {
            throw new NodeException(NodeErrorCode.SR_NOT_ATTACHED, "sr " + uuid, "storage repository " + uuid
                    + " is not attached on this host: attach it with PUT /api/v1/storage/srs/" + uuid);
        }
        if (e.repository() == null) {
            throw new NodeException(NodeErrorCode.SR_NOT_ATTACHED, "sr " + uuid, e.saved().label()
                    + " is missing: attaching it again when the agent started failed (" + e.problem()
                    + "): fix the storage, then PUT /api/v1/storage/srs/" + uuid + " again");
        }
        return e.repository();
    }

    /**
     * Attaches a repository, creating it first when asked (then, should the attach fail, it is
     * destroyed again). Attaching an attached repository with the same type and device-config
     * answers its state again.
     */
    public SrState attach(String uuid, SrAttachRequest request) {
        synchronized (changes) {
            return attachNow(uuid, request);
        }
    }

    private SrState attachNow(String uuid, SrAttachRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("the request body must be {\"name\": …, \"type\": …, \"deviceConfig\": {…}, \"create\": false}");
        }
        if (request.type() == null || request.type().isBlank()) {
            throw new IllegalArgumentException("storage repository " + uuid + ": 'type' is required (GET /api/v1/storage/adapters lists them)");
        }
        StorageAdapter adapter = adapter(request.type());
        Saved saved = new Saved(uuid, request.name(), request.type(), request.deviceConfig());
        SrConfig config;
        try {
            config = saved.config();
        } catch (StorageException e) {
            throw StorageErrors.toNode(e, "sr " + uuid);
        }
        Entry existing = entries.get(uuid);
        if (existing != null && existing.repository() != null) {
            if (existing.saved().type().equals(saved.type()) && existing.saved().deviceConfig().equals(saved.deviceConfig())) {
                return state(uuid);
            }
            throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, "sr " + uuid, existing.saved().label()
                    + " is attached here with another type or device-config: detach it first to attach it differently");
        }
        boolean create = request.create() && existing == null;
        StorageRepository repository;
        try {
            if (create) {
                adapter.create(config);
            }
            try {
                repository = adapter.attach(config);
            } catch (StorageException e) {
                if (create) {
                    destroyQuietly(adapter, saved);
                }
                throw e;
            }
        } catch (StorageException e) {
            throw StorageErrors.toNode(e, "sr " + uuid);
        }
        entries.put(uuid, new Entry(saved, repository, null));
        try {
            save();
        } catch (UncheckedIOException e) {
            entries.remove(uuid);
            if (existing != null) {
                entries.put(uuid, existing);
            }
            try {
                repository.detach();
            } catch (StorageException ignored) {
                // report the first failure
            }
            if (create) {
                destroyQuietly(adapter, saved);
            }
            throw new NodeException(NodeErrorCode.INTERNAL, "sr " + uuid, saved.label() + ": " + e.getMessage(), e);
        }
        LOG.infof("%s: %s", saved.label(), create ? "created and attached" : "attached");
        return state(uuid);
    }

    /**
     * Detaches a repository from this host and forgets it; destroys it (and every disk in it) when
     * asked. The caller has checked that no VM here uses its disks.
     */
    public void detach(String uuid, boolean destroy) {
        synchronized (changes) {
            detachNow(uuid, destroy);
        }
    }

    private void detachNow(String uuid, boolean destroy) {
        Entry e = entries.get(uuid);
        if (e == null) {
            repository(uuid); // throws SR_NOT_ATTACHED
            return;
        }
        try {
            if (e.repository() != null) {
                e.repository().detach();
            }
            if (destroy) {
                try {
                    adapter(e.saved().type()).destroy(e.saved().config());
                } catch (StorageException | NodeException failed) {
                    if (e.repository() != null) {
                        reattachQuietly(e);
                    }
                    throw failed;
                }
            }
        } catch (StorageException failed) {
            throw StorageErrors.toNode(failed, "sr " + uuid);
        }
        entries.remove(uuid);
        save();
        LOG.infof("%s: %s", e.saved().label(), destroy ? "detached and destroyed" : "detached");
    }

    private void reattachQuietly(Entry e) {
        try {
            entries.put(e.saved().uuid(), new Entry(e.saved(), adapter(e.saved().type()).attach(e.saved().config()), null));
        } catch (StorageException | NodeException again) {
            entries.put(e.saved().uuid(), new Entry(e.saved(), null, again.getMessage()));
            LOG.errorf("%s: could not be attached again after a failed destroy: %s", e.saved().label(), again.getMessage());
        }
    }

    private static void destroyQuietly(StorageAdapter adapter, Saved saved) {
        try {
            adapter.destroy(saved.config());
        } catch (StorageException e) {
            LOG.warnf("%s: created, then could not be removed after a failed attach: %s", saved.label(), e.getMessage());
        }
    }

    private StorageAdapter adapter(String type) {
        return adapters.find(type).orElseThrow(() -> new NodeException(NodeErrorCode.STORAGE_TYPE_UNKNOWN, "type " + type,
                "no storage adapter of type '" + type + "' on this host (installed: " + adapters.types()
                        + "): install its plugin in the plugins folder and restart the agent"));
    }

    // ---------------------------------------------------------------- the saved file

    private List<Saved> load() {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return JSON.readValue(file.toFile(), new TypeReference<List<Saved>>() { });
        } catch (IOException e) {
            LOG.errorf("cannot read the saved storage repositories in %s (%s): none attached again", file, e.getMessage());
            return List.of();
        }
    }

    /** Writes every entry, missing ones too, through a private temporary file moved into place. */
    private void save() {
        List<Saved> all;
        synchronized (entries) {
            all = entries.values().stream().map(Entry::saved).toList();
        }
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the attached storage repositories in " + file, e);
        }
    }
}
