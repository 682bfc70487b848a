package io.atoll.storage.qcow2;

import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The qemu-img commands a qcow2 repository uses, as argument lists, on images of one store. */
final class QemuImg {
    static final String CBT_BITMAP = "atoll-cbt";
    private final CommandRunner run;
    private final ImageStore store;

    QemuImg(CommandRunner run, ImageStore store) {
        this.run = run;
        this.store = store;
    }

    /** A new empty qcow2 image. */
    void create(String image, long size) {
        check(List.of("qemu-img", "create", "-q", "-f", "qcow2", store.location(image), Long.toString(size)));
    }

    /** A new overlay over {@code backing} (a name in the same store, recorded relative). */
    void createOverlay(String image, String backing) {
        check(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", store.backingReference(backing), "-F", "qcow2",
                store.location(image)));
    }

    /** A full, independent copy of what {@code source} reads (through its chain). */
    void convert(String source, String target) {
        check(List.of("qemu-img", "convert", "-q", "-f", "qcow2", "-O", "qcow2", "-U", store.location(source), store.location(target)));
    }

    /**
     * Makes {@code image} read the same data on a new backing ({@code null}: none), copying from
     * the old backing chain what differs (qemu-img's safe rebase).
     */
    void rebase(String image, String newBacking) {
        List<String> cmd = new ArrayList<>(List.of("qemu-img", "rebase", "-q", "-f", "qcow2"));
        if (newBacking == null) {
            cmd.addAll(List.of("-b", ""));
        } else {
            cmd.addAll(List.of("-b", store.backingReference(newBacking), "-F", "qcow2"));
        }
        cmd.add(store.location(image));
        check(cmd);
    }

    void resize(String image, long size) {
        check(List.of("qemu-img", "resize", "-q", "-f", "qcow2", store.location(image), Long.toString(size)));
    }

    /** The image's virtual size, read from its header. */
    long virtualSize(String image) {
        Map<String, Object> info = Json.object(check(List.of("qemu-img", "info", "-U", "--output=json", "-f", "qcow2",
                store.location(image))).stdout());
        return ((Number) info.get("virtual-size")).longValue();
    }

    void addBitmap(String image) {
        check(List.of("qemu-img", "bitmap", "--add", "--enable", "-f", "qcow2", store.location(image), CBT_BITMAP));
    }

    void disableBitmap(String image) {
        check(List.of("qemu-img", "bitmap", "--disable", "-f", "qcow2", store.location(image), CBT_BITMAP));
    }

    void removeBitmap(String image) {
        check(List.of("qemu-img", "bitmap", "--remove", "-f", "qcow2", store.location(image), CBT_BITMAP));
    }

    /** Adds the dirty bits of {@code source}'s bitmap to {@code target}'s. */
    void mergeBitmap(String source, String target) {
        check(List.of("qemu-img", "bitmap", "--merge", CBT_BITMAP, "-b", store.location(source), "-F", "qcow2", "-f", "qcow2",
                store.location(target), CBT_BITMAP));
    }

    private CommandRunner.Result check(List<String> cmd) {
        CommandRunner.Result r = run.run(cmd);
        if (!r.ok()) {
            String err = r.stderr();
            if (err.contains("No space left")) {
                throw new StorageException(StorageErrorCode.NO_SPACE, "the storage is full: " + err.strip());
            }
            store.checkReachable();
            throw CommandRunner.failed(r, List.of());
        }
        return r;
    }
}
