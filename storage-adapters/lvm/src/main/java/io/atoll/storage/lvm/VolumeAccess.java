package io.atoll.storage.lvm;

import io.atoll.storage.spi.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How QEMU on this host reaches a logical volume. Chosen once per adapter by
 * {@link #detect(CommandRunner)}:
 * <ul>
 *   <li>{@link ActivatedVolumes}: with device-mapper, the volume is activated and QEMU opens
 *       {@code /dev/VG/LV};</li>
 *   <li>{@link ExtentWindows}: without it (containers, kernels that load no modules), QEMU opens
 *       the physical volume itself, restricted to the volume's extents.</li>
 * </ul>
 * Backing files inside images always name extent windows (see {@link Window}), which need no
 * activation, so that either path opens every chain.
 */
interface VolumeAccess {

    /** For logs and {@code LvmAdapter#accessPath()}: which path, and why. */
    String describe();

    /** Whether lvm2 must run metadata-only ({@code --driverloaded n}). */
    boolean metadataOnly();

    /**
     * Makes the volume openable on this host and returns the protocol node QEMU opens it with.
     * Called once per attachment, before QEMU starts.
     */
    Map<String, Object> open(Lvm lvm, String vg, Volume volume, Window window);

    /** Undoes {@link #open}. Idempotent. */
    void close(Lvm lvm, String vg, Volume volume);

    /** Whether a block-options map reported by a running QEMU is this volume. */
    default boolean matches(Map<?, ?> options, String vg, Volume volume, Window window) {
        return window.matches(options);
    }

    /** Picks the path: device-mapper is there when its control node exists and {@code dmsetup version} answers. */
    static VolumeAccess detect(CommandRunner commands) {
        if (!Files.exists(Path.of("/dev/mapper/control"))) {
            return new ExtentWindows("/dev/mapper/control is missing");
        }
        CommandRunner.Result r;
        try {
            r = commands.run(List.of("dmsetup", "version"));
        } catch (RuntimeException e) {
            return new ExtentWindows("dmsetup cannot run: " + e.getMessage());
        }
        if (!r.ok() || !r.stdout().contains("Driver version")) {
            return new ExtentWindows("dmsetup version fails: " + (r.stderr().isBlank() ? r.stdout() : r.stderr()).strip().lines()
                    .findFirst().orElse(""));
        }
        return new ActivatedVolumes(r.stdout().lines().filter(l -> l.startsWith("Driver version")).findFirst().orElse("").strip());
    }
}
