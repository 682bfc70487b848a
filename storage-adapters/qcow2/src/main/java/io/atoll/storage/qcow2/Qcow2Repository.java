package io.atoll.storage.qcow2;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.ChangedBlocks;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.Names;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.SrInfo;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * A storage repository of qcow2 images over an {@link ImageStore}: snapshots, linked clones and
 * changed-block tracking as backing chains.
 *
 * <p>The model, as XCP-ng's VHD chains but never left un-coalesced: a disk is a record naming its
 * active image. A snapshot freezes the active image (it becomes the snapshot's) and gives the disk
 * a new overlay on it. A linked clone is an overlay on a frozen image. An image no disk or
 * snapshot names is <em>hidden</em>: kept only while others need its data. After every deletion
 * hidden images are collected: one without children is deleted; one with a single child is
 * merged into that child (qemu-img's safe rebase offline, QEMU's block-stream through the
 * {@link LiveBlockDevice} when a running VM holds the child) and deleted. A hidden image with
 * several children (a snapshot that clones were made from) stays until all but one are gone.
 *
 * <p>Files: {@code img-UUID.qcow2} images with {@code img-UUID.rec} records (parent image, whether
 * it carries the CBT bitmap), {@code vdi-ID.properties} per disk or snapshot, and
 * {@code att-ID@HOST.properties} per attachment. The pool master runs metadata operations of a
 * repository on one host at a time; within a process this class is synchronized.
 */
public class Qcow2Repository implements StorageRepository {
    private static final Logger LOG = Logger.getLogger(Qcow2Repository.class.getName());
    /** qcow2 with 64 KiB clusters addresses far more, but nothing beyond this is tested. */
    public static final long MAX_VIRTUAL_SIZE = 64L << 40;
    private static final long TWO_TIB = 2L << 40;
    static final long CBT_BLOCK_SIZE = 64 * 1024;

    private final SrConfig config;
    private final ImageStore store;
    private final QemuImg img;
    private final String hostUuid;
    private final Set<StorageBehavior> behaviors;
    private final boolean shared;
    private final DirtyBitmaps bitmaps;

    /**
     * @param behaviors what the adapter declares; operations outside them are refused NOT_SUPPORTED
     */
    public Qcow2Repository(SrConfig config, ImageStore store, io.atoll.storage.spi.AdapterContext context,
                           Set<StorageBehavior> behaviors) {
        this.config = config;
        this.store = store;
        this.img = new QemuImg(context.commands(), store);
        this.hostUuid = context.hostUuid();
        this.behaviors = behaviors;
        this.shared = behaviors.contains(StorageBehavior.SHARED);
        this.bitmaps = new DirtyBitmaps(context, store);
    }

    /** The record file that marks a store as a repository. */
    public static final String SR_RECORD = "sr.properties";

    /** Writes the repository's own record into a freshly initialized store. */
    public static void initialize(SrConfig config, ImageStore store) {
        Map<String, String> rec = new LinkedHashMap<>();
        rec.put("uuid", config.uuid());
        rec.put("name", config.name());
        rec.put("type", config.type());
        rec.put("created", Long.toString(System.currentTimeMillis()));
        if (!store.create(SR_RECORD, Records.format(rec))) {
            throw new StorageException(StorageErrorCode.ALREADY_EXISTS, "storage repository " + config.name()
                    + ": a repository exists at that location already: attach it, or choose an empty location");
        }
    }

    /** Reads the repository record of a store; {@code null} when the store holds none. */
    public static Map<String, String> readRecord(ImageStore store) {
        String text = store.read(SR_RECORD);
        return text == null ? null : Records.parse(text);
    }

    // ------------------------------------------------------------------ records

    /** A disk or snapshot record; {@code size} is its virtual size, kept so answers need no qemu-img. */
    private record Vdi(String id, String name, String image, String snapshotOf, boolean cbt, Instant created,
                       Map<String, String> metadata, long size) {
        Vdi withImage(String newImage) {
            return new Vdi(id, name, newImage, snapshotOf, cbt, created, metadata, size);
        }

        Vdi withCbt(boolean on) {
            return new Vdi(id, name, image, snapshotOf, on, created, metadata, size);
        }

        Vdi withSize(long newSize) {
            return new Vdi(id, name, image, snapshotOf, cbt, created, metadata, newSize);
        }
    }

    private record Image(String name, String parent, boolean bitmap, boolean cbtGap) {
    }

    private static String vdiFile(String id) {
        return "vdi-" + id + ".properties";
    }

    private static String imageRecord(String image) {
        return image.replace(".qcow2", ".rec");
    }

    private Map<String, Vdi> vdis() {
        Map<String, Vdi> out = new LinkedHashMap<>();
        for (String f : store.list()) {
            if (f.startsWith("vdi-") && f.endsWith(".properties")) {
                String text = store.read(f);
                if (text != null) {
                    Vdi v = parseVdi(Records.parse(text));
                    out.put(v.id(), v);
                }
            }
        }
        return out;
    }

    private static Vdi parseVdi(Map<String, String> r) {
        Map<String, String> meta = new LinkedHashMap<>();
        r.forEach((k, v) -> {
            if (k.startsWith("meta.")) {
                meta.put(k.substring(5), v);
            }
        });
        return new Vdi(r.get("id"), r.get("name"), r.get("image"), r.get("snapshotOf"), Boolean.parseBoolean(r.get("cbt")),
                Instant.ofEpochMilli(Long.parseLong(r.getOrDefault("created", "0"))), meta, Long.parseLong(r.getOrDefault("size", "-1")));
    }

    private void save(Vdi v) {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("id", v.id());
        r.put("name", v.name());
        r.put("image", v.image());
        if (v.snapshotOf() != null) {
            r.put("snapshotOf", v.snapshotOf());
        }
        r.put("cbt", Boolean.toString(v.cbt()));
        r.put("created", Long.toString(v.created().toEpochMilli()));
        r.put("size", Long.toString(v.size()));
        v.metadata().forEach((k, val) -> r.put("meta." + k, val));
        store.write(vdiFile(v.id()), Records.format(r));
    }

    private Vdi vdi(String id) {
        if (id == null || id.contains("/") || id.contains("..")) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, "disk " + id + " is not in storage repository " + config.name());
        }
        String text = store.read(vdiFile(id));
        if (text == null) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, "disk " + id + " is not in storage repository " + config.name());
        }
        return parseVdi(Records.parse(text));
    }

    private Map<String, Image> images() {
        Map<String, Image> out = new HashMap<>();
        for (String f : store.list()) {
            if (f.startsWith("img-") && f.endsWith(".rec")) {
                String text = store.read(f);
                if (text != null) {
                    Map<String, String> r = Records.parse(text);
                    String name = f.replace(".rec", ".qcow2");
                    out.put(name, new Image(name, r.get("parent"), Boolean.parseBoolean(r.get("bitmap")),
                            Boolean.parseBoolean(r.get("cbtGap"))));
                }
            }
        }
        return out;
    }

    private void save(Image i) {
        Map<String, String> r = new LinkedHashMap<>();
        if (i.parent() != null) {
            r.put("parent", i.parent());
        }
        r.put("bitmap", Boolean.toString(i.bitmap()));
        r.put("cbtGap", Boolean.toString(i.cbtGap()));
        store.write(imageRecord(i.name()), Records.format(r));
    }

    private Image image(String name) {
        String text = store.read(imageRecord(name));
        if (text == null) {
            throw new StorageException(StorageErrorCode.CORRUPT, "storage repository " + config.name() + ": image " + name
                    + " has no record");
        }
        Map<String, String> r = Records.parse(text);
        return new Image(name, r.get("parent"), Boolean.parseBoolean(r.get("bitmap")), Boolean.parseBoolean(r.get("cbtGap")));
    }

    private void deleteImage(String name) {
        store.delete(name);
        store.delete(imageRecord(name));
    }

    /** Records keep milliseconds: so does every answer. */
    private static Instant now() {
        return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }

    private static String newImageName() {
        return "img-" + UUID.randomUUID() + ".qcow2";
    }

    private VirtualDiskInfo info(Vdi v) {
        long size = v.size() >= 0 ? v.size() : img.virtualSize(v.image());
        return new VirtualDiskInfo(v.id(), v.name(), size, store.allocated(v.image()), v.snapshotOf(), v.snapshotOf() != null,
                v.cbt(), v.created(), v.metadata());
    }

    private void require(StorageBehavior b) {
        if (!behaviors.contains(b)) {
            throw StorageException.notSupported(b);
        }
    }

    // ------------------------------------------------------------------ attachments

    private record Attachment(String diskId, String host, AccessMode mode) {
    }

    private List<Attachment> attachments() {
        List<Attachment> out = new ArrayList<>();
        for (String f : store.list()) {
            if (f.startsWith("att-") && f.endsWith(".properties")) {
                String text = store.read(f);
                if (text != null) {
                    String key = f.substring(4, f.length() - ".properties".length());
                    int at = key.indexOf('@');
                    out.add(new Attachment(key.substring(0, at), key.substring(at + 1),
                            AccessMode.valueOf(Records.parse(text).getOrDefault("mode", "READ_ONLY"))));
                }
            }
        }
        return out;
    }

    private List<Attachment> attachmentsOf(String diskId) {
        return attachments().stream().filter(a -> a.diskId().equals(diskId)).toList();
    }

    private void refuseIfAttached(Vdi v, String operation) {
        List<Attachment> att = attachmentsOf(v.id());
        if (!att.isEmpty()) {
            throw new StorageException(StorageErrorCode.IN_USE, "disk " + v.name() + " (" + v.id() + ") is attached on host "
                    + att.get(0).host() + ": detach it (stop its VM) before '" + operation + "'");
        }
    }

    // ------------------------------------------------------------------ StorageRepository

    @Override
    public synchronized SrInfo info() {
        long[] space = store.space();
        long virtual = 0;
        for (Vdi v : vdis().values()) {
            if (v.snapshotOf() == null) {
                virtual += v.size() >= 0 ? v.size() : img.virtualSize(v.image());
            }
        }
        return new SrInfo(config.uuid(), config.name(), config.type(), shared, space[0], space[1], virtual);
    }

    @Override
    public synchronized List<VirtualDiskInfo> scan() {
        store.checkReachable();
        return vdis().values().stream().map(this::info).toList();
    }

    @Override
    public synchronized VirtualDiskInfo disk(String diskId) {
        return info(vdi(diskId));
    }

    @Override
    public synchronized VirtualDiskInfo createDisk(DiskCreateRequest request) {
        checkCreatable(request.virtualSize());
        if (!request.metadata().isEmpty()) {
            require(StorageBehavior.SUPPORTS_METADATA);
        }
        store.checkReachable();
        String image = newImageName();
        Vdi v = new Vdi(UUID.randomUUID().toString(), request.name(), image, null, false, now(), request.metadata(),
                request.virtualSize());
        try {
            img.create(image, request.virtualSize());
            save(new Image(image, null, false, false));
            save(v);
        } catch (RuntimeException e) {
            deleteQuietly(image, v.id());
            throw e;
        }
        LOG.info(() -> "storage repository " + config.name() + ": disk " + v.name() + " (" + v.id() + ") created, "
                + request.virtualSize() + " bytes");
        return info(v);
    }

    private void checkCreatable(long size) {
        if (size > TWO_TIB && !behaviors.contains(StorageBehavior.SUPPORTS_LARGE_DISKS)) {
            throw StorageException.notSupported(StorageBehavior.SUPPORTS_LARGE_DISKS);
        }
        if (size > MAX_VIRTUAL_SIZE) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "storage repository " + config.name() + ": a disk of "
                    + size + " bytes is larger than the " + (MAX_VIRTUAL_SIZE >> 40) + " TiB this adapter supports");
        }
    }

    private void deleteQuietly(String image, String vdiId) {
        try {
            deleteImage(image);
            if (vdiId != null) {
                store.delete(vdiFile(vdiId));
            }
        } catch (RuntimeException cleanup) {
            LOG.warning("storage repository " + config.name() + ": could not remove " + image + " after a failure: " + cleanup.getMessage());
        }
    }

    @Override
    public synchronized void deleteDisk(String diskId, LiveBlockDevice live) {
        Vdi v = vdi(diskId);
        if (v.snapshotOf() == null) {
            refuseIfAttached(v, "delete");
            store.delete(vdiFile(v.id()));
            if (childrenOf(v.image(), images()).isEmpty()) {
                deleteImage(v.image());
            }
        } else {
            store.delete(vdiFile(v.id()));
        }
        LOG.info(() -> "storage repository " + config.name() + ": " + (v.snapshotOf() == null ? "disk " : "snapshot ") + v.name()
                + " (" + v.id() + ") deleted");
        coalesce(live);
    }

    @Override
    public synchronized VirtualDiskInfo resize(String diskId, long newSize) {
        require(StorageBehavior.SUPPORTS_RESIZE);
        Vdi v = vdi(diskId);
        if (v.snapshotOf() != null) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "snapshot " + v.name() + " is read-only: resize the disk instead");
        }
        Names.checkSize("disk " + v.name(), newSize);
        long current = info(v).virtualSize();
        if (newSize < current) {
            throw new StorageException(StorageErrorCode.SHRINK_NOT_ALLOWED, "disk " + v.name() + " is " + current
                    + " bytes: it can grow but not shrink to " + newSize + " (data would be lost)");
        }
        checkCreatable(newSize);
        refuseIfAttached(v, "resize");
        img.resize(v.image(), newSize);
        Vdi resized = v.withSize(newSize);
        save(resized);
        return info(resized);
    }

    @Override
    public synchronized VirtualDiskInfo snapshot(String diskId, String name, LiveBlockDevice live) {
        require(StorageBehavior.SUPPORTS_SNAPSHOT);
        Names.checkName("snapshot", name);
        Vdi v = vdi(diskId);
        if (v.snapshotOf() != null) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, name + ": " + v.name()
                    + " is a snapshot already; snapshot the disk it was taken of");
        }
        if (live == null && attachmentsOf(v.id()).stream().anyMatch(a -> a.mode() == AccessMode.READ_WRITE)) {
            throw new StorageException(StorageErrorCode.IN_USE, "disk " + v.name() + " is attached read-write: snapshot it through "
                    + "its running VM (the host runtime passes the VM's block device)");
        }
        String frozen = v.image();
        String overlay = freeze(v, live);
        Vdi snap = new Vdi(UUID.randomUUID().toString(), name, frozen, v.id(), v.cbt(), now(), v.metadata(), info(v).virtualSize());
        save(snap);
        save(v.withImage(overlay));
        LOG.info(() -> "storage repository " + config.name() + ": snapshot " + name + " (" + snap.id() + ") of disk " + v.name()
                + (live != null ? " taken live" : ""));
        return info(snap);
    }

    /**
     * Gives a disk a new active overlay on its current image, which stops being written, and
     * returns the overlay. The caller points records at them.
     */
    private String freeze(Vdi v, LiveBlockDevice live) {
        String frozen = v.image();
        String overlay = newImageName();
        Image old = image(frozen);
        try {
            img.createOverlay(overlay, frozen);
            if (v.cbt()) {
                img.addBitmap(overlay);
            }
            save(new Image(overlay, frozen, v.cbt(), false));
            if (live != null) {
                live.snapshot(store.protocol(overlay));
            }
        } catch (RuntimeException e) {
            deleteQuietly(overlay, null);
            throw e;
        }
        if (old.bitmap() && live == null) {
            img.disableBitmap(frozen); // a frozen image's bitmap is history: exported read-only, never written
        }
        return overlay;
    }

    @Override
    public synchronized VirtualDiskInfo clone(String sourceId, String name, CloneMode mode) {
        require(mode == CloneMode.LINKED ? StorageBehavior.SUPPORTS_LINKED_CLONE : StorageBehavior.SUPPORTS_FULL_CLONE);
        Names.checkName("disk", name);
        Vdi src = vdi(sourceId);
        if (src.snapshotOf() == null && attachmentsOf(src.id()).stream().anyMatch(a -> a.mode() == AccessMode.READ_WRITE)) {
            throw new StorageException(StorageErrorCode.IN_USE, "disk " + src.name() + " is being written: clone a snapshot of it");
        }
        String image = newImageName();
        Vdi clone = new Vdi(UUID.randomUUID().toString(), name, image, null, false, now(), src.metadata(), info(src).virtualSize());
        try {
            if (mode == CloneMode.FULL) {
                img.convert(src.image(), image);
                save(new Image(image, null, false, false));
            } else {
                String base = src.image();
                if (src.snapshotOf() == null) {
                    // a writable disk's image must stop changing before anything builds on it
                    String overlay = freeze(src, null);
                    save(src.withImage(overlay));
                }
                img.createOverlay(image, base);
                save(new Image(image, base, false, false));
            }
            save(clone);
        } catch (RuntimeException e) {
            deleteQuietly(image, clone.id());
            throw e;
        }
        return info(clone);
    }

    @Override
    public synchronized VirtualDiskInfo revert(String diskId, String snapshotId) {
        require(StorageBehavior.SUPPORTS_REVERT);
        Vdi v = vdi(diskId);
        Vdi snap = vdi(snapshotId);
        if (!v.id().equals(snap.snapshotOf())) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, snap.name() + " is not a snapshot of disk " + v.name());
        }
        refuseIfAttached(v, "revert");
        String overlay = newImageName();
        try {
            img.createOverlay(overlay, snap.image());
            if (v.cbt()) {
                img.addBitmap(overlay);
            }
            // the overlay's bitmap describes exactly what it adds to the snapshot's image
            save(new Image(overlay, snap.image(), v.cbt(), false));
            save(v.withImage(overlay).withSize(info(snap).virtualSize()));
        } catch (RuntimeException e) {
            deleteQuietly(overlay, null);
            throw e;
        }
        coalesce(null);
        return info(vdi(diskId));
    }

    @Override
    public synchronized VirtualDiskInfo setMetadata(String diskId, Map<String, String> metadata) {
        require(StorageBehavior.SUPPORTS_METADATA);
        Vdi v = vdi(diskId);
        Vdi updated = new Vdi(v.id(), v.name(), v.image(), v.snapshotOf(), v.cbt(), v.created(), Map.copyOf(metadata), v.size());
        save(updated);
        return info(updated);
    }

    @Override
    public synchronized DiskAttachment attach(String diskId, AccessMode mode) {
        return attach(diskId, mode, false);
    }

    @Override
    public synchronized DiskAttachment attachForIncomingMigration(String diskId) {
        return attach(diskId, AccessMode.READ_WRITE, true);
    }

    private DiskAttachment attach(String diskId, AccessMode mode, boolean incomingMigration) {
        Vdi v = vdi(diskId);
        if (mode == AccessMode.READ_WRITE && v.snapshotOf() != null) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "snapshot " + v.name()
                    + " is read-only: attach it read-only, or clone it to get a writable disk");
        }
        List<Attachment> others = attachmentsOf(diskId).stream().filter(a -> !a.host().equals(hostUuid)).toList();
        boolean migrationSource = incomingMigration && others.size() == 1 && others.get(0).mode() == AccessMode.READ_WRITE;
        for (Attachment a : others) {
            if (!migrationSource && (a.mode() == AccessMode.READ_WRITE || mode == AccessMode.READ_WRITE)) {
                throw new StorageException(StorageErrorCode.IN_USE, "disk " + v.name() + " is attached " + a.mode().name().toLowerCase()
                        .replace('_', '-') + " on host " + a.host() + ": a disk is open read-write on one host at most"
                        + (incomingMigration ? " (a migration takes it over from one read-write holder only)" : ""));
            }
        }
        store.write("att-" + diskId + "@" + hostUuid + ".properties", Records.format(Map.of("mode", mode.name())));
        return new DiskAttachment(store.protocol(v.image()), "qcow2", Map.of(), mode == AccessMode.READ_ONLY, List.of());
    }

    @Override
    public synchronized void detach(String diskId) {
        store.delete("att-" + diskId + "@" + hostUuid + ".properties");
    }

    /** The store's heartbeat area, where the adapter declares {@code SUPPORTS_HEARTBEAT}. */
    @Override
    public io.atoll.storage.spi.HeartbeatArea heartbeatArea() {
        if (!behaviors.contains(StorageBehavior.SUPPORTS_HEARTBEAT)) {
            throw StorageException.notSupported(StorageBehavior.SUPPORTS_HEARTBEAT);
        }
        return store.heartbeatArea();
    }

    /** Deletes every {@code att-ID@HOST} record of that host: its disks are free for others to attach. */
    @Override
    public synchronized List<String> releaseHost(String host) {
        if (!behaviors.contains(StorageBehavior.SUPPORTS_RELEASE_HOST)) {
            throw StorageException.notSupported(StorageBehavior.SUPPORTS_RELEASE_HOST);
        }
        if (host == null || host.isBlank() || host.contains("/") || host.contains("@")) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "'" + host + "' is not a host uuid");
        }
        if (host.equals(hostUuid)) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "host " + host + " is this host: a host never breaks its own "
                    + "locks; detach its disks (stop its VMs) instead");
        }
        List<String> released = new ArrayList<>();
        for (Attachment a : attachments()) {
            if (a.host().equals(host)) {
                store.delete("att-" + a.diskId() + "@" + host + ".properties");
                released.add(a.diskId());
            }
        }
        if (!released.isEmpty()) {
            LOG.warning("repository " + config.name() + ": released the attachments of fenced host " + host + " on disks " + released);
        }
        return released;
    }

    @Override
    public synchronized VirtualDiskInfo enableChangedBlockTracking(String diskId) {
        require(StorageBehavior.SUPPORTS_CBT);
        Vdi v = vdi(diskId);
        if (v.snapshotOf() != null) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "snapshot " + v.name() + ": enable tracking on its disk");
        }
        if (!v.cbt()) {
            refuseIfAttached(v, "enable changed-block tracking");
            img.addBitmap(v.image());
            Image i = image(v.image());
            save(new Image(i.name(), i.parent(), true, true));
            save(v.withCbt(true));
        }
        return info(vdi(diskId));
    }

    @Override
    public synchronized VirtualDiskInfo disableChangedBlockTracking(String diskId) {
        require(StorageBehavior.SUPPORTS_CBT);
        Vdi v = vdi(diskId);
        if (v.cbt()) {
            refuseIfAttached(v, "disable changed-block tracking");
            img.removeBitmap(v.image());
            Image i = image(v.image());
            save(new Image(i.name(), i.parent(), false, true));
            save(v.withCbt(false));
        }
        return info(vdi(diskId));
    }

    @Override
    public synchronized ChangedBlocks changedBlocks(String fromSnapshotId, String toSnapshotId) {
        require(StorageBehavior.SUPPORTS_CBT);
        Vdi from = vdi(fromSnapshotId);
        Vdi to = vdi(toSnapshotId);
        if (from.snapshotOf() == null || !from.snapshotOf().equals(to.snapshotOf())) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, from.name() + " and " + to.name()
                    + " must both be snapshots of the same disk");
        }
        // The images written between the two snapshots: from 'to' down to, not including, 'from'.
        Map<String, Image> images = images();
        List<String> range = new ArrayList<>();
        String cur = to.image();
        while (cur != null && !cur.equals(from.image())) {
            Image i = images.get(cur);
            if (i == null) {
                break;
            }
            if (!i.bitmap()) {
                throw noHistory(from, to);
            }
            range.add(cur);
            cur = i.parent();
        }
        if (cur == null) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, from.name() + " is not older than " + to.name()
                    + " in the chain of their disk: give the older snapshot first");
        }
        for (String r : range) {
            if (images.get(r).cbtGap()) {
                throw noHistory(from, to);
            }
        }
        long size = info(to).virtualSize();
        return new ChangedBlocks(CBT_BLOCK_SIZE, size, bitmaps.union(range, size));
    }

    private static StorageException noHistory(Vdi from, Vdi to) {
        return new StorageException(StorageErrorCode.NOT_FOUND, "no changed-block history between " + from.name() + " and "
                + to.name() + " (tracking was off or reset in between): copy the disk in full");
    }

    @Override
    public synchronized void detach() {
        List<Attachment> mine = attachments().stream().filter(a -> a.host().equals(hostUuid)).toList();
        if (!mine.isEmpty()) {
            throw new StorageException(StorageErrorCode.IN_USE, "storage repository " + config.name() + " still has disks attached on this host: "
                    + mine.stream().map(Attachment::diskId).toList() + ": stop their VMs first");
        }
    }

    // ------------------------------------------------------------------ coalescing

    private static List<String> childrenOf(String image, Map<String, Image> images) {
        return images.values().stream().filter(i -> image.equals(i.parent())).map(Image::name).toList();
    }

    /**
     * Collects hidden images until none can go: childless ones are deleted, single-child ones are
     * merged into their child. Images under an attached disk are merged only through the live
     * device of the running VM; without it they wait for the next collection.
     */
    private void coalesce(LiveBlockDevice live) {
        boolean changed = true;
        while (changed) {
            changed = false;
            Map<String, Image> images = images();
            Map<String, Vdi> vdis = vdis();
            Set<String> named = new java.util.HashSet<>();
            vdis.values().forEach(v -> named.add(v.image()));
            for (Image hidden : images.values()) {
                if (named.contains(hidden.name())) {
                    continue;
                }
                List<String> children = childrenOf(hidden.name(), images);
                if (children.isEmpty()) {
                    deleteImage(hidden.name());
                    changed = true;
                    break;
                }
                if (children.size() == 1 && merge(hidden, images.get(children.get(0)), images, vdis, live)) {
                    changed = true;
                    break;
                }
            }
        }
    }

    private boolean merge(Image hidden, Image child, Map<String, Image> images, Map<String, Vdi> vdis, LiveBlockDevice live) {
        Set<String> inUse = imagesUnderAttachedDisks(images, vdis);
        if (inUse.contains(child.name())) {
            int index = live == null ? -1 : indexIn(live, child.name());
            if (index < 0) {
                LOG.info(() -> "storage repository " + config.name() + ": " + hidden.name() + " waits to be merged into "
                        + child.name() + ", which a VM holds");
                return false;
            }
            live.stream(index);
            // QEMU merged the data but not the bitmaps: the child's no longer covers all it adds
            save(new Image(child.name(), hidden.parent(), child.bitmap(), child.cbtGap() || child.bitmap()));
        } else {
            img.rebase(child.name(), hidden.parent());
            boolean gap = child.cbtGap();
            if (child.bitmap() && hidden.bitmap() && !hidden.cbtGap()) {
                img.mergeBitmap(hidden.name(), child.name());
            } else if (child.bitmap() && !hidden.bitmap()) {
                gap = true;
            }
            save(new Image(child.name(), hidden.parent(), child.bitmap(), gap || hidden.cbtGap()));
        }
        deleteImage(hidden.name());
        LOG.info(() -> "storage repository " + config.name() + ": merged " + hidden.name() + " into " + child.name());
        return true;
    }

    private Set<String> imagesUnderAttachedDisks(Map<String, Image> images, Map<String, Vdi> vdis) {
        Set<String> out = new java.util.HashSet<>();
        for (Attachment a : attachments()) {
            Vdi v = vdis.get(a.diskId());
            String cur = v == null ? null : v.image();
            while (cur != null && out.add(cur)) {
                Image i = images.get(cur);
                cur = i == null ? null : i.parent();
            }
        }
        return out;
    }

    /** The position of an image in the running VM's chain, matched by where the store locates it. */
    private int indexIn(LiveBlockDevice live, String image) {
        String wanted = store.location(image);
        List<Map<String, Object>> chain = live.chain();
        for (int k = 0; k < chain.size(); k++) {
            if (wanted.equals(chain.get(k).get("filename"))) {
                return k;
            }
        }
        return -1;
    }
}
