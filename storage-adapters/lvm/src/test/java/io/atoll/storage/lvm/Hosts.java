package io.atoll.storage.lvm;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.SrConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;

/**
 * Two hosts sharing one loop device: an adapter each (own host uuid, own work directory), and a
 * repository config on the device. Everything lives under one temporary directory.
 */
final class Hosts implements AutoCloseable {
    final Path root;
    final LoopDevice lun;
    final AdapterContext contextA;
    final AdapterContext contextB;
    final LvmAdapter a;
    final LvmAdapter b;
    final SrConfig config;

    Hosts(long deviceBytes) throws IOException {
        this(deviceBytes, new CommandRunner());
    }

    /** @param commandsA what host A runs commands with (a failing one, to test undo) */
    Hosts(long deviceBytes, CommandRunner commandsA) throws IOException {
        LoopDevice.requireTools();
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-lvm-it-");
        lun = LoopDevice.create(root, deviceBytes);
        contextA = new AdapterContext(UUID.randomUUID().toString(), Files.createDirectories(root.resolve("host-a")), commandsA);
        contextB = new AdapterContext(UUID.randomUUID().toString(), Files.createDirectories(root.resolve("host-b")), new CommandRunner());
        a = (LvmAdapter) new LvmAdapterFactory().create(contextA);
        b = (LvmAdapter) new LvmAdapterFactory().create(contextB);
        String uuid = UUID.randomUUID().toString();
        config = new SrConfig(uuid, "lvm-" + uuid.substring(0, 8), "lvm", Map.of("device", lun.device()));
    }

    Path scratch() throws IOException {
        return Files.createDirectories(root.resolve("scratch"));
    }

    /** The volumes of the repository's group as lvm2 lists them (pending ones included). */
    java.util.List<Volume> volumes() {
        Lvm lvm = lun.lvm();
        return lvm.pv().filter(p -> !p.vgName().isEmpty()).map(p -> lvm.volumes(p.vgName())).orElse(java.util.List.of());
    }

    long vgFree() {
        Lvm lvm = lun.lvm();
        return lvm.vg(lvm.pv().orElseThrow().vgName()).free();
    }

    @Override
    public void close() throws IOException {
        try {
            lun.close();
        } finally {
            try (var files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

}
