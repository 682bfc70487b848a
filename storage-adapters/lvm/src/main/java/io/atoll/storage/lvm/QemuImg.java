package io.atoll.storage.lvm;

import io.atoll.storage.qcow2.Json;
import io.atoll.storage.spi.ChangedBlocks;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * qemu-img (and qemu-nbd, to read bitmaps) on qcow2 images inside extent windows. Images are
 * always named by {@code json:} pseudo-filenames, so that the same text works as an argument and
 * as a backing-file reference inside a child image.
 */
final class QemuImg {
    /** The tracking bitmap's name inside each image. */
    static final String BITMAP = "atoll-cbt";
    /** qcow2 cluster size, and the granularity of tracking. */
    static final long CLUSTER = 64 * 1024;
    /** A header's backing-file field holds at most 1023 bytes. */
    private static final int MAX_BACKING = 1023;

    private final CommandRunner commands;
    private final Path scratch;

    /** @param scratch a directory of this host for template images and sockets */
    QemuImg(CommandRunner commands, Path scratch) {
        this.commands = commands;
        this.scratch = scratch;
    }

    /**
     * Bytes a volume needs to hold a qcow2 image of this virtual size fully written (thick): the
     * image fully allocated as {@code qemu-img measure} counts it, room for the tracking bitmap
     * twice over (qcow2 writes a new copy before freeing the old one), and a margin for metadata
     * clusters freed and not yet reused (1/1024 of the size, at least 8 MiB).
     */
    long volumeBytes(long virtualSize) {
        Map<String, Object> m = json(check(List.of("qemu-img", "measure", "--output=json", "-O", "qcow2", "-o",
                "cluster_size=" + CLUSTER, "--size", Long.toString(virtualSize))).stdout());
        long full = ((Number) m.get("fully-allocated")).longValue();
        long bitmapBytes = (virtualSize / CLUSTER + 7) / 8;
        long bitmap = 2 * (roundUp(bitmapBytes, CLUSTER) + 2 * CLUSTER);
        long margin = Math.max(8L << 20, virtualSize / 1024);
        return full + bitmap + margin;
    }

    /**
     * Writes a new, empty qcow2 image at the start of {@code target}: built as a small file in the
     * scratch directory, then copied byte for byte into the window (qemu-img cannot create an
     * image inside an offset window). Whatever the window held before stays beyond the image's end
     * and is never read: qcow2 reads only clusters its tables point to.
     *
     * @param backing the parent image, or {@code null} for an image that reads as zeroes
     * @param bitmap whether to add the tracking bitmap
     */
    void format(Window target, long virtualSize, Window backing, boolean bitmap) {
        Path template = scratch.resolve("new-" + UUID.randomUUID() + ".qcow2");
        try {
            List<String> create = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=" + CLUSTER));
            if (backing != null) {
                create.addAll(List.of("-u", "-b", backingName(backing), "-F", "qcow2"));
            }
            create.addAll(List.of(template.toString(), Long.toString(virtualSize)));
            check(create);
            if (bitmap) {
                check(List.of("qemu-img", "bitmap", "--add", "-g", Long.toString(CLUSTER), "-f", "qcow2", template.toString(), BITMAP));
            }
            check(List.of("qemu-img", "convert", "-n", "-t", "none", "-f", "raw", "-O", "raw", template.toString(), target.rawFilename()));
        } finally {
            delete(template);
        }
    }

    /** The virtual size and backing file of an image. */
    Map<String, Object> info(Window image) {
        return json(check(List.of("qemu-img", "info", "--output=json", image.qcow2Filename())).stdout());
    }

    /** Whether the window holds a qcow2 image that qemu-img can open with its whole chain. */
    boolean readable(Window image) {
        return commands.run(List.of("qemu-img", "info", "--backing-chain", image.qcow2Filename())).ok();
    }

    /** Where the image's last allocated cluster ends: what a copy of the image must include. */
    long imageEnd(Window image) {
        CommandRunner.Result r = commands.run(List.of("qemu-img", "check", "--output=json", image.qcow2Filename()));
        // qemu-img check exits 2/3 for leaked or corrupt clusters yet still reports the end.
        Map<String, Object> m = json(r.stdout().isBlank() ? "{}" : r.stdout());
        Object end = m.get("image-end-offset");
        if (!(end instanceof Number n)) {
            throw CommandRunner.failed(r, List.of());
        }
        return n.longValue();
    }

    /**
     * Makes {@code child} read the same data over {@code newBacking} as it reads now: copies into
     * it every cluster where its old and new backing chains differ ({@code qemu-img rebase} in safe
     * mode), then records the new backing file. A {@code null} backing pulls in all data.
     */
    void rebase(Window child, Window newBacking) {
        check(List.of("qemu-img", "rebase", "-q", "-t", "none", "-T", "none", "-f", "qcow2", "-b",
                newBacking == null ? "" : backingName(newBacking), "-F", "qcow2", child.qcow2Filename()));
    }

    /** Copies all data of an image and its chain into an empty image of the same size (a full clone). */
    void copyData(Window source, Window target) {
        check(List.of("qemu-img", "convert", "-n", "--target-is-zero", "-t", "none", "-T", "none", "-O", "qcow2",
                source.qcow2Filename(), target.qcow2Filename()));
    }

    /** Copies the first bytes of one window into another, as they are (moving an image). */
    void copyBytes(Window source, Window target) {
        check(List.of("qemu-img", "convert", "-n", "-t", "none", "-T", "none", "-f", "raw", "-O", "raw", source.rawFilename(),
                target.rawFilename()));
    }

    /** Grows the image's virtual size (its bitmap grows with it). */
    void resize(Window image, long newSize) {
        check(List.of("qemu-img", "resize", "-q", image.qcow2Filename(), Long.toString(newSize)));
    }

    void addBitmap(Window image) {
        check(List.of("qemu-img", "bitmap", "--add", "-g", Long.toString(CLUSTER), image.qcow2Filename(), BITMAP));
    }

    void removeBitmap(Window image) {
        check(List.of("qemu-img", "bitmap", "--remove", image.qcow2Filename(), BITMAP));
    }

    /**
     * Adds the tracking bitmap of {@code from} to the one of {@code into}. Bitmaps of different
     * sizes cannot be merged directly (the disk grew in between): the smaller one is first copied
     * into a scratch image of that size, which is then grown.
     */
    void mergeBitmap(Window from, long fromSize, Window into, long intoSize) {
        if (fromSize == intoSize) {
            check(List.of("qemu-img", "bitmap", "--merge", BITMAP, "-b", from.qcow2Filename(), "-F", "qcow2", into.qcow2Filename(), BITMAP));
            return;
        }
        Path tmp = scratch.resolve("merge-" + UUID.randomUUID() + ".qcow2");
        try {
            check(List.of("qemu-img", "create", "-q", "-f", "qcow2", tmp.toString(), Long.toString(fromSize)));
            check(List.of("qemu-img", "bitmap", "--add", "-g", Long.toString(CLUSTER), "-f", "qcow2", tmp.toString(), BITMAP));
            check(List.of("qemu-img", "bitmap", "--merge", BITMAP, "-b", from.qcow2Filename(), "-F", "qcow2", "-f", "qcow2", tmp.toString(), BITMAP));
            check(List.of("qemu-img", "resize", "-q", "-f", "qcow2", tmp.toString(), Long.toString(intoSize)));
            check(List.of("qemu-img", "bitmap", "--merge", BITMAP, "-b", tmp.toString(), "-F", "qcow2", into.qcow2Filename(), BITMAP));
        } finally {
            delete(tmp);
        }
    }

    /**
     * The ranges the image's tracking bitmap marks, up to {@code limit} bytes. qemu-img cannot
     * list a bitmap; qemu-nbd exports it as a block-status context which {@code qemu-img map}
     * reads (a marked range shows as {@code "data": false}). qemu-nbd serves that one client and
     * exits.
     */
    List<ChangedBlocks.Extent> dirtyExtents(Window image, long limit) {
        Path socket = scratch.resolve("nbd-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
        Path pidFile = scratch.resolve(socket.getFileName() + ".pid");
        try {
            check(List.of("qemu-nbd", "--fork", "--pid-file=" + pidFile, "--read-only", "-B", BITMAP,
                    "-k", socket.toString(), image.qcow2Filename()));
            String map = check(List.of("qemu-img", "map", "--output=json", "--image-opts",
                    "driver=nbd,server.type=unix,server.path=" + socket + ",x-dirty-bitmap=qemu:dirty-bitmap:" + BITMAP)).stdout();
            List<ChangedBlocks.Extent> out = new ArrayList<>();
            for (Object o : (List<?>) Json.parse(map)) {
                Map<?, ?> e = (Map<?, ?>) o;
                long start = ((Number) e.get("start")).longValue();
                long length = Math.min(((Number) e.get("length")).longValue(), limit - start);
                if (Boolean.FALSE.equals(e.get("data")) && length > 0) {
                    out.add(new ChangedBlocks.Extent(start, length));
                }
            }
            return out;
        } finally {
            stopNbd(pidFile);
            delete(socket);
        }
    }

    private void stopNbd(Path pidFile) {
        try {
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readString(pidFile).strip());
                ProcessHandle.of(pid).filter(p -> p.info().command().orElse("").contains("qemu-nbd")).ifPresent(ProcessHandle::destroy);
            }
        } catch (IOException | NumberFormatException e) {
            // Already gone: qemu-nbd exits after its one client.
        }
        delete(pidFile);
    }

    /** The backing-file text for an image, checked against the header's limit. */
    static String backingName(Window backing) {
        String name = backing.qcow2Filename();
        if (name.length() > MAX_BACKING) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "device path " + backing.device()
                    + " is too long: backing references inside images must fit in " + MAX_BACKING + " bytes");
        }
        return name;
    }

    private CommandRunner.Result check(List<String> cmd) {
        CommandRunner.Result r = commands.run(cmd);
        if (!r.ok()) {
            throw CommandRunner.failed(r, List.of());
        }
        return r;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(String text) {
        return (Map<String, Object>) Json.parse(text);
    }

    static long roundUp(long value, long unit) {
        return (value + unit - 1) / unit * unit;
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A scratch file left behind is harmless.
        }
    }
}
