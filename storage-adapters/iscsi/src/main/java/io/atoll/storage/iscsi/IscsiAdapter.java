package io.atoll.storage.iscsi;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Storage on an iSCSI array: one LUN per virtual disk in a target the adapter creates for each
 * repository, opened by QEMU's own iSCSI initiator (libiscsi), so hosts need no kernel initiator.
 * The array is managed through a {@link TargetManager} (tgtadm by default), and the repository's
 * catalog lives on the array so that every host sees the same disks. See the module's README.
 */
public final class IscsiAdapter implements StorageAdapter {
    private static final System.Logger LOG = System.getLogger(IscsiAdapter.class.getName());

    /** What the adapter declares; sparse backing files are not counted as thin (see the README). */
    public static final Set<StorageBehavior> BEHAVIORS = Set.copyOf(EnumSet.of(
            StorageBehavior.SUPPORTS_SNAPSHOT, StorageBehavior.SUPPORTS_FULL_CLONE, StorageBehavior.SUPPORTS_REVERT,
            StorageBehavior.SUPPORTS_RESIZE, StorageBehavior.SUPPORTS_LARGE_DISKS, StorageBehavior.SUPPORTS_METADATA,
            StorageBehavior.SHARED, StorageBehavior.SUPPORTS_PROBE, StorageBehavior.SUPPORTS_RELEASE_HOST));

    private final AdapterContext context;
    private final TargetManager.Factory managers;
    private final Map<String, IscsiRepository> attached = new ConcurrentHashMap<>();

    /** The adapter for tgt arrays, managed with tgtadm. */
    public IscsiAdapter(AdapterContext context) {
        this(context, TgtadmTargetManager.factory(context.commands()));
    }

    /** The adapter for an array reached through another management interface (a vendor's API). */
    public IscsiAdapter(AdapterContext context, TargetManager.Factory managers) {
        this.context = context;
        this.managers = managers;
    }

    @Override
    public Set<StorageBehavior> behaviors() {
        return BEHAVIORS;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return IscsiConfig.KEYS;
    }

    @Override
    public SrInfo create(SrConfig sr) {
        IscsiConfig config = IscsiConfig.of(sr);
        TargetManager array = managers.open(sr);
        array.ping();
        checkPortal(config);
        if (array.repositories().contains(sr.uuid())) {
            throw new StorageException(StorageErrorCode.ALREADY_EXISTS, "storage repository " + sr.uuid() + " exists already in " + config.backingDir());
        }
        if (array.targetExists(config.target()) || targetOwner(array, config.target()).isPresent()) {
            throw new StorageException(StorageErrorCode.ALREADY_EXISTS, "target " + config.target()
                    + " exists already on the array: give each storage repository a target of its own");
        }
        Catalog catalog = Catalog.empty(sr.uuid(), sr.name(), config.target(), config.capacity());
        array.createRepository(sr.uuid());
        try {
            array.writeCatalog(sr.uuid(), catalog.toProperties());
            array.export(repository(config, sr, array).exportOf(catalog));
        } catch (RuntimeException e) {
            try {
                array.unexport(config.target());
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            array.deleteRepository(sr.uuid());
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "sr " + sr.uuid() + ": created in " + config.backingDir() + " as target " + config.target());
        return IscsiRepository.info(catalog, sr.type());
    }

    @Override
    public List<SrInfo> probe(SrConfig sr) {
        TargetManager array = managers.open(sr);
        List<SrInfo> found = new ArrayList<>();
        for (String uuid : array.repositories()) {
            array.readCatalog(uuid).map(Catalog::fromProperties).ifPresent(c -> found.add(IscsiRepository.info(c, sr.type())));
        }
        return found;
    }

    @Override
    public StorageRepository attach(SrConfig sr) {
        IscsiConfig config = IscsiConfig.of(sr);
        TargetManager array = managers.open(sr);
        checkPortal(config);
        IscsiRepository existing = attached.get(sr.uuid());
        IscsiRepository repository = existing != null ? existing : repository(config, sr, array);
        try (Closeable lock = array.lock(sr.uuid())) {
            Catalog c = array.readCatalog(sr.uuid()).map(Catalog::fromProperties).orElseThrow(() -> notFound(config));
            if (!c.target().equals(config.target())) {
                throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "storage repository " + sr.name() + " is exported as target "
                        + c.target() + ", not " + config.target() + ": fix device-config 'target'");
            }
            // The array may have lost its LUN mappings (tgtd keeps them in memory): restore them.
            array.export(repository.exportOf(c));
            List<String> orphans = array.deleteVolumesExcept(sr.uuid(), c.disks().keySet());
            if (!orphans.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "sr " + sr.uuid() + ": removed volumes no disk owns (left by an interrupted operation): " + orphans);
            }
            if (c.capacity() != config.capacity()) {
                array.writeCatalog(sr.uuid(), c.withCapacity(config.capacity()).toProperties());
            }
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, "storage repository " + sr.name() + ": cannot release its lock: " + e, e);
        }
        IscsiRepository raced = attached.putIfAbsent(sr.uuid(), repository);
        LOG.log(System.Logger.Level.INFO, "sr " + sr.uuid() + ": attached on host " + context.hostUuid());
        return raced != null ? raced : repository;
    }

    @Override
    public void destroy(SrConfig sr) {
        IscsiConfig config = IscsiConfig.of(sr);
        TargetManager array = managers.open(sr);
        try (Closeable lock = array.lock(sr.uuid())) {
            Catalog c = array.readCatalog(sr.uuid()).map(Catalog::fromProperties).orElseThrow(() -> notFound(config));
            String holders = c.sorted().stream().filter(d -> !d.attachments().isEmpty())
                    .map(d -> d.id() + " on " + String.join(", ", d.attachments().keySet())).collect(Collectors.joining("; "));
            if (!holders.isEmpty()) {
                throw new StorageException(StorageErrorCode.IN_USE, "storage repository " + sr.name() + " has attached disks: " + holders);
            }
            array.unexport(c.target());
            array.deleteRepository(sr.uuid());
        } catch (IOException e) {
            // The lock file went with the repository; nothing to release.
            LOG.log(System.Logger.Level.DEBUG, "sr " + sr.uuid() + ": lock released with the directory: " + e);
        }
        attached.remove(sr.uuid());
        LOG.log(System.Logger.Level.INFO, "sr " + sr.uuid() + ": destroyed");
    }

    private IscsiRepository repository(IscsiConfig config, SrConfig sr, TargetManager array) {
        return new IscsiRepository(config, sr.type(), array, context.hostUuid(), () -> attached.remove(sr.uuid()));
    }

    /** The repository already using a target, if any: two repositories on one target would share LUN numbers. */
    private static Optional<String> targetOwner(TargetManager array, String iqn) {
        for (String uuid : array.repositories()) {
            Optional<String> owner = array.readCatalog(uuid).filter(p -> iqn.equals(p.getProperty("sr.target"))).map(p -> uuid);
            if (owner.isPresent()) {
                return owner;
            }
        }
        return Optional.empty();
    }

    /**
     * Checks that this host reaches the portal, as QEMU will have to.
     *
     * @throws StorageException {@code UNAVAILABLE}
     */
    static void checkPortal(IscsiConfig config) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(config.portalHost().replace("[", "").replace("]", ""), config.portalPort()),
                    (int) Math.min(Integer.MAX_VALUE, config.managementTimeout().toMillis()));
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "storage repository " + config.srName()
                    + ": this host cannot reach the iSCSI portal " + config.portal() + ": " + e.getMessage());
        }
    }

    private static StorageException notFound(IscsiConfig config) {
        return new StorageException(StorageErrorCode.NOT_FOUND, "storage repository " + config.srName() + " (" + config.srUuid()
                + ") is not in " + config.backingDir());
    }
}
