package io.atoll.storage.iscsi;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A repository's metadata, kept on the array beside its LUNs so that every host sees it and it
 * survives agent restarts: which disks exist, their LUN numbers, sizes, snapshot parents,
 * metadata, and which hosts have them attached. Stored as {@link Properties}:
 * <pre>
 * format=1
 * sr.uuid=…  sr.name=…  sr.target=iqn…  sr.capacity=BYTES  sr.created=2024-…Z
 * disk.UUID.name=…  disk.UUID.size=…  disk.UUID.lun=3  disk.UUID.created=…
 * disk.UUID.snapshot-of=UUID          (snapshots only)
 * disk.UUID.meta.KEY=VALUE            (free-form metadata)
 * disk.UUID.attached.HOST_UUID=READ_WRITE|READ_ONLY
 * </pre>
 * Immutable: changes return a new catalog, written whole by the caller.
 */
record Catalog(String srUuid, String srName, String target, long capacity, Instant created, Map<String, Disk> disks) {
    static final String FORMAT = "1";

    Catalog {
        Objects.requireNonNull(srUuid, "srUuid");
        disks = Map.copyOf(disks);
    }

    /**
     * A disk or snapshot: one LUN.
     *
     * @param attachments the hosts that have it attached, and how
     */
    record Disk(String id, String name, long size, int lun, String snapshotOf, Instant created,
                Map<String, String> metadata, Map<String, AccessMode> attachments) {
        Disk {
            metadata = Map.copyOf(metadata);
            attachments = Map.copyOf(attachments);
        }

        boolean isSnapshot() {
            return snapshotOf != null;
        }

        /** The host holding it read-write, if one does. */
        Optional<String> writer() {
            return attachments.entrySet().stream().filter(e -> e.getValue() == AccessMode.READ_WRITE)
                    .map(Map.Entry::getKey).findFirst();
        }

        Disk withSize(long newSize) {
            return new Disk(id, name, newSize, lun, snapshotOf, created, metadata, attachments);
        }

        Disk withMetadata(Map<String, String> newMetadata) {
            return new Disk(id, name, size, lun, snapshotOf, created, newMetadata, attachments);
        }

        Disk withAttachment(String host, AccessMode mode) {
            Map<String, AccessMode> a = new HashMap<>(attachments);
            if (mode == null) {
                a.remove(host);
            } else {
                a.put(host, mode);
            }
            return new Disk(id, name, size, lun, snapshotOf, created, metadata, a);
        }

        /**
         * What the SDK reports. The array reserves a disk's whole size at creation (see the
         * README on space accounting), so that is its utilisation.
         */
        VirtualDiskInfo info() {
            return new VirtualDiskInfo(id, name, size, size, snapshotOf, isSnapshot(), false, created, metadata);
        }
    }

    static Catalog empty(String srUuid, String srName, String target, long capacity) {
        return new Catalog(srUuid, srName, target, capacity, Instant.now(), Map.of());
    }

    Catalog withCapacity(long newCapacity) {
        return new Catalog(srUuid, srName, target, newCapacity, created, disks);
    }

    Catalog with(Disk disk) {
        Map<String, Disk> d = new HashMap<>(disks);
        d.put(disk.id(), disk);
        return new Catalog(srUuid, srName, target, capacity, created, d);
    }

    Catalog without(String diskId) {
        Map<String, Disk> d = new HashMap<>(disks);
        d.remove(diskId);
        return new Catalog(srUuid, srName, target, capacity, created, d);
    }

    /** Disks and snapshots, oldest first. */
    List<Disk> sorted() {
        return disks.values().stream().sorted(Comparator.comparing(Disk::created).thenComparing(Disk::id)).toList();
    }

    /** Bytes reserved by all disks and snapshots. */
    long allocated() {
        return disks.values().stream().mapToLong(Disk::size).sum();
    }

    /** The lowest LUN number no disk uses. */
    int freeLun() {
        int lun = 1;
        while (true) {
            int candidate = lun;
            if (disks.values().stream().noneMatch(d -> d.lun() == candidate)) {
                return lun;
            }
            lun++;
        }
    }

    Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("format", FORMAT);
        p.setProperty("sr.uuid", srUuid);
        p.setProperty("sr.name", srName);
        p.setProperty("sr.target", target);
        p.setProperty("sr.capacity", Long.toString(capacity));
        p.setProperty("sr.created", created.toString());
        for (Disk d : disks.values()) {
            String k = "disk." + d.id() + ".";
            p.setProperty(k + "name", d.name());
            p.setProperty(k + "size", Long.toString(d.size()));
            p.setProperty(k + "lun", Integer.toString(d.lun()));
            p.setProperty(k + "created", d.created().toString());
            if (d.snapshotOf() != null) {
                p.setProperty(k + "snapshot-of", d.snapshotOf());
            }
            d.metadata().forEach((mk, mv) -> p.setProperty(k + "meta." + mk, mv));
            d.attachments().forEach((host, mode) -> p.setProperty(k + "attached." + host, mode.name()));
        }
        return p;
    }

    /**
     * Reads a stored catalog.
     *
     * @throws StorageException {@code CORRUPT} when it is not one this adapter wrote
     */
    static Catalog fromProperties(Properties p) {
        if (!FORMAT.equals(p.getProperty("format"))) {
            throw corrupt(p, "format '" + p.getProperty("format") + "' is not " + FORMAT);
        }
        String srUuid = required(p, "sr.uuid");
        Map<String, Map<String, String>> byDisk = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("disk.")) {
                int dot = key.indexOf('.', 5);
                if (dot < 0) {
                    throw corrupt(p, "key '" + key + "' names no field");
                }
                byDisk.computeIfAbsent(key.substring(5, dot), id -> new LinkedHashMap<>()).put(key.substring(dot + 1), p.getProperty(key));
            }
        }
        Map<String, Disk> disks = new HashMap<>();
        for (var e : byDisk.entrySet()) {
            disks.put(e.getKey(), disk(p, e.getKey(), e.getValue()));
        }
        long capacity;
        try {
            capacity = Long.parseLong(required(p, "sr.capacity"));
        } catch (NumberFormatException e) {
            throw corrupt(p, "'sr.capacity' is not a number");
        }
        return new Catalog(srUuid, required(p, "sr.name"), required(p, "sr.target"), capacity,
                instant(p, "sr.created", required(p, "sr.created")), disks);
    }

    private static Disk disk(Properties p, String id, Map<String, String> f) {
        Map<String, String> meta = new HashMap<>();
        Map<String, AccessMode> attached = new HashMap<>();
        f.forEach((k, v) -> {
            if (k.startsWith("meta.")) {
                meta.put(k.substring(5), v);
            } else if (k.startsWith("attached.")) {
                try {
                    attached.put(k.substring(9), AccessMode.valueOf(v));
                } catch (IllegalArgumentException e) {
                    throw corrupt(p, "disk " + id + " attached as '" + v + "'");
                }
            }
        });
        String name = field(p, id, f, "name");
        try {
            return new Disk(id, name, Long.parseLong(field(p, id, f, "size")), Integer.parseInt(field(p, id, f, "lun")),
                    f.get("snapshot-of"), instant(p, "disk " + id, field(p, id, f, "created")), meta, attached);
        } catch (NumberFormatException e) {
            throw corrupt(p, "disk " + id + " has a bad size or LUN: " + e.getMessage());
        }
    }

    private static String field(Properties p, String id, Map<String, String> f, String name) {
        String v = f.get(name);
        if (v == null) {
            throw corrupt(p, "disk " + id + " has no " + name);
        }
        return v;
    }

    private static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw corrupt(p, "'" + key + "' is missing");
        }
        return v;
    }

    private static Instant instant(Properties p, String what, String v) {
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw corrupt(p, what + ": '" + v + "' is not a time");
        }
    }

    private static StorageException corrupt(Properties p, String why) {
        return new StorageException(StorageErrorCode.CORRUPT, "the catalog of storage repository "
                + p.getProperty("sr.uuid", "?") + " is damaged: " + why);
    }
}
