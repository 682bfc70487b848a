package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.fail;

import io.atoll.storage.spi.CommandRunner;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A sparse file attached as a loop device: the "shared LUN" of the tests. Closing it removes
 * whatever volume group a failed test left on it (with lvm2 confined to this device), detaches
 * the loop device — only this one — and deletes the file.
 */
public final class LoopDevice implements AutoCloseable {
    private static final CommandRunner RUN = new CommandRunner();
    private final Path file;
    private final String device;
    private final Path lvmState;

    private LoopDevice(Path file, String device, Path lvmState) {
        this.file = file;
        this.device = device;
        this.lvmState = lvmState;
    }

    /** Fails (never skips) when the tools the LVM tests need are missing. */
    static void requireTools() {
        for (String tool : List.of("lvm", "losetup", "qemu-img", "qemu-io", "qemu-nbd")) {
            boolean found = false;
            for (String dir : (System.getenv("PATH") + ":/sbin:/usr/sbin").split(":")) {
                found |= !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool));
            }
            if (!found) {
                fail("'" + tool + "' is missing: run bin/install-deps (the LVM adapter's tests need the Debian packages lvm2, "
                        + "qemu-utils, util-linux and qemu-system-x86)");
            }
        }
    }

    /** A new sparse file of {@code bytes} in {@code dir}, attached with {@code losetup -f --show}. */
    public static LoopDevice create(Path dir, long bytes) throws IOException {
        requireTools();
        Path file = Files.createTempFile(dir, "pv-", ".img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
        CommandRunner.Result r = RUN.run(List.of("losetup", "-f", "--show", file.toString()));
        if (!r.ok()) {
            Files.deleteIfExists(file);
            fail("losetup -f --show failed (the tests need loop devices): " + r.stderr());
        }
        return new LoopDevice(file, r.stdout().strip(), Files.createDirectories(dir.resolve("fixture-lvm")));
    }

    public String device() {
        return device;
    }

    /** lvm2 confined to this device, as the adapter runs it. */
    Lvm lvm() {
        return new Lvm(RUN, device, lvmState, VolumeAccess.detect(RUN).metadataOnly());
    }

    @Override
    public void close() throws IOException {
        try {
            Lvm lvm = lvm();
            lvm.pv().ifPresent(pv -> {
                if (!pv.vgName().isEmpty()) {
                    lvm.vgremove(pv.vgName());
                }
                lvm.pvremove();
            });
        } finally {
            RUN.run(List.of("losetup", "-d", device));
            Files.deleteIfExists(file);
        }
    }
}
