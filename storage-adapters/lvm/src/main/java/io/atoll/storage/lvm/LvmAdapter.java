package io.atoll.storage.lvm;

import static io.atoll.storage.spi.StorageBehavior.SHARED;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_CBT;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_FULL_CLONE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_LARGE_DISKS;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_LINKED_CLONE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_METADATA;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_ONLINE_COALESCE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_PROBE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_RESIZE;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_REVERT;
import static io.atoll.storage.spi.StorageBehavior.SUPPORTS_SNAPSHOT;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Storage repositories as LVM volume groups on a shared block device (an iSCSI or FC LUN), in the
 * line of XenServer's LVHD and Veritas VxVM: one logical volume per image, qcow2 inside, snapshots
 * and linked clones as backing chains across volumes. See the module's README for the layout.
 */
public final class LvmAdapter implements StorageAdapter {
    private static final System.Logger LOG = System.getLogger(LvmAdapter.class.getName());
    static final String TYPE = "lvm";
    static final String DEVICE = "device";
    static final String VG_NAME = "vg-name";
    /** Room for the metadata of many volumes with their tags (lvm2's default is 1 MiB, shared by two copies). */
    private static final long METADATA_SIZE = 8L << 20;
    private static final Pattern VG = Pattern.compile("[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}");
    private static final Set<StorageBehavior> BEHAVIORS = Set.copyOf(EnumSet.of(SUPPORTS_SNAPSHOT, SUPPORTS_LINKED_CLONE,
            SUPPORTS_FULL_CLONE, SUPPORTS_REVERT, SUPPORTS_RESIZE, SUPPORTS_METADATA, SUPPORTS_PROBE, SHARED, SUPPORTS_CBT,
            SUPPORTS_LARGE_DISKS, SUPPORTS_ONLINE_COALESCE, StorageBehavior.SUPPORTS_RELEASE_HOST));

    private final AdapterContext context;
    private final Map<String, LvmRepository> repositories = new ConcurrentHashMap<>();
    private volatile VolumeAccess access;

    LvmAdapter(AdapterContext context) {
        this.context = context;
    }

    @Override
    public Set<StorageBehavior> behaviors() {
        return BEHAVIORS;
    }

    @Override
    public List<ConfigKey> configKeys() {
        return List.of(
                new ConfigKey(DEVICE, true, false, "the shared block device holding the volume group (an iSCSI or FC LUN, "
                        + "by a path that is the same on every host, e.g. /dev/disk/by-id/wwn-…)"),
                new ConfigKey(VG_NAME, false, false, "the volume group's name (default atoll_SRUUID)"));
    }

    /** How QEMU reaches volumes on this host, decided on first use: with device-mapper or through extent windows. */
    public String accessPath() {
        return access().describe();
    }

    @Override
    public synchronized SrInfo create(SrConfig config) {
        Lvm lvm = lvm(config);
        String vg = config.get(VG_NAME, "atoll_" + config.uuid());
        if (!VG.matcher(vg).matches()) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "storage repository " + config.name() + ": vg-name '" + vg
                    + "' is not allowed: use 1-127 letters, digits and + _ . -, not starting with '-'");
        }
        Optional<Lvm.Pv> pv = lvm.pv();
        if (pv.isPresent()) {
            String owner = pv.get().vgName().isEmpty() ? "no volume group yet" : "volume group " + pv.get().vgName()
                    + Optional.ofNullable(lvm.vg(pv.get().vgName()).tag(Tags.SR)).map(u -> " (storage repository " + u + ")").orElse("");
            throw new StorageException(StorageErrorCode.ALREADY_EXISTS, "storage repository " + config.name() + ": device "
                    + lvm.device() + " is an LVM physical volume already, with " + owner + "; destroy that first or pick another device");
        }
        lvm.pvcreate(METADATA_SIZE);
        try {
            lvm.vgcreate(vg, List.of(Tags.tag(Tags.SR, config.uuid()), Tags.tag(Tags.SR_NAME, config.name())));
        } catch (RuntimeException e) {
            try {
                lvm.pvremove();
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "storage repository " + config.name() + " (" + config.uuid() + "): volume group " + vg
                + " created on " + lvm.device());
        return info(config, lvm.vg(vg));
    }

    @Override
    public List<SrInfo> probe(SrConfig config) {
        Lvm lvm = lvm(config);
        List<SrInfo> found = new ArrayList<>();
        Optional<Lvm.Pv> pv = lvm.pv();
        if (pv.isPresent() && !pv.get().vgName().isEmpty()) {
            Lvm.Vg g = lvm.vg(pv.get().vgName());
            if (g.tag(Tags.SR) != null) {
                String name = Optional.ofNullable(g.tag(Tags.SR_NAME)).orElse(g.name());
                found.add(new SrInfo(g.tag(Tags.SR), name, TYPE, true, g.size(), g.size() - g.free(), 0));
            } else {
                LOG.log(System.Logger.Level.INFO, "probe of " + lvm.device() + ": volume group " + g.name()
                        + " is not an Atoll storage repository (no atoll_sr tag); left alone");
            }
        }
        return found;
    }

    @Override
    public synchronized StorageRepository attach(SrConfig config) {
        LvmRepository existing = repositories.get(config.uuid());
        if (existing != null) {
            return existing;
        }
        Lvm lvm = lvm(config);
        Lvm.Pv pv = lvm.pv().filter(p -> !p.vgName().isEmpty()).orElseThrow(() -> notFound(config, lvm));
        Lvm.Vg g = lvm.vg(pv.vgName());
        if (!config.uuid().equals(g.tag(Tags.SR))) {
            throw notFound(config, lvm);
        }
        VolumeStore store = new VolumeStore(lvm, new QemuImg(context.commands(), dir("scratch")), g.name(), pv.peStart(), g.extentSize());
        LvmRepository repo = new LvmRepository(config, context.hostUuid(), store, access(), repositories::remove);
        repositories.put(config.uuid(), repo);
        List<String> pending = new VolumeTree(lvm.volumes(g.name())).all().stream().filter(Volume::pending).map(Volume::lvName).toList();
        if (!pending.isEmpty()) {
            // Left by a host that died half-way through an operation, or being made right now by another host.
            LOG.log(System.Logger.Level.WARNING, "storage repository " + config.name() + ": volumes " + pending + " are tagged "
                    + Tags.PENDING + " (unfinished); if no host is working on this repository, remove them with lvremove");
        }
        LOG.log(System.Logger.Level.INFO, "storage repository " + config.name() + ": volume group " + g.name() + " on " + lvm.device()
                + " attached; QEMU reaches volumes through " + access().describe());
        return repo;
    }

    @Override
    public synchronized void destroy(SrConfig config) {
        LvmRepository repo = repositories.get(config.uuid());
        if (repo != null && repo.hasAttachedDisks()) {
            throw new StorageException(StorageErrorCode.IN_USE, "storage repository " + config.name()
                    + " has disks attached on this host: detach them first");
        }
        Lvm lvm = lvm(config);
        Lvm.Pv pv = lvm.pv().filter(p -> !p.vgName().isEmpty()).orElseThrow(() -> notFound(config, lvm));
        Lvm.Vg g = lvm.vg(pv.vgName());
        if (!config.uuid().equals(g.tag(Tags.SR))) {
            throw notFound(config, lvm);
        }
        for (Volume v : new VolumeTree(lvm.volumes(g.name())).all()) {
            if (v.inUse()) {
                throw new StorageException(StorageErrorCode.IN_USE, "storage repository " + config.name() + ": volume " + v.lvName()
                        + " is attached on host " + (v.writer() != null ? v.writer() : String.join(", ", v.readers())));
            }
        }
        lvm.vgremove(g.name());
        lvm.pvremove();
        repositories.remove(config.uuid());
        LOG.log(System.Logger.Level.INFO, "storage repository " + config.name() + ": volume group " + g.name() + " removed from "
                + lvm.device());
    }

    private static StorageException notFound(SrConfig config, Lvm lvm) {
        return new StorageException(StorageErrorCode.NOT_FOUND, "storage repository " + config.name() + " (" + config.uuid()
                + ") is not on " + lvm.device() + ": no volume group tagged with its uuid there (probe lists what is)");
    }

    private static SrInfo info(SrConfig config, Lvm.Vg g) {
        return new SrInfo(config.uuid(), config.name(), TYPE, true, g.size(), g.size() - g.free(), 0);
    }

    /** lvm2 confined to the repository's device, after checking the device is there and is a block device. */
    private Lvm lvm(SrConfig config) {
        String device = Lvm.checkDevice(config.require(DEVICE));
        Path path = Path.of(device);
        if (!Files.exists(path)) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "storage repository " + config.name() + ": device " + device
                    + " is not on this host (is the LUN connected?)");
        }
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode");
            if ((mode & 0170000) != 0060000) {
                throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "storage repository " + config.name() + ": " + device
                        + " is not a block device (attach a file with losetup first)");
            }
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.UNAVAILABLE, "cannot read " + device + ": " + e.getMessage(), e);
        }
        return new Lvm(context.commands(), device, dir("lvm"), access().metadataOnly());
    }

    private VolumeAccess access() {
        VolumeAccess a = access;
        if (a == null) {
            synchronized (this) {
                if (access == null) {
                    access = VolumeAccess.detect(context.commands());
                    LOG.log(System.Logger.Level.INFO, "lvm adapter on host " + context.hostUuid() + ": " + access.describe());
                }
                a = access;
            }
        }
        return a;
    }

    private Path dir(String name) {
        try {
            return Files.createDirectories(context.workDir().resolve(name));
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, "cannot create " + context.workDir().resolve(name) + ": "
                    + e.getMessage(), e);
        }
    }
}
