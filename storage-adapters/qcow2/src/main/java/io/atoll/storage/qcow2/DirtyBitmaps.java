package io.atoll.storage.qcow2;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.ChangedBlocks;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads the CBT bitmaps of frozen images: each image is exported read-only by {@code qemu-nbd}
 * with its bitmap, and {@code qemu-img map} lists the dirty extents (they show as
 * {@code "data": false} through {@code x-dirty-bitmap}). The union of several images' bitmaps is
 * what changed across them.
 */
final class DirtyBitmaps {
    private final AdapterContext context;
    private final ImageStore store;

    DirtyBitmaps(AdapterContext context, ImageStore store) {
        this.context = context;
        this.store = store;
    }

    List<ChangedBlocks.Extent> union(List<String> images, long virtualSize) {
        long blocks = (virtualSize + Qcow2Repository.CBT_BLOCK_SIZE - 1) / Qcow2Repository.CBT_BLOCK_SIZE;
        if (blocks > Integer.MAX_VALUE) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "disk too large for a change list in memory");
        }
        BitSet dirty = new BitSet((int) blocks);
        for (String image : images) {
            for (long[] e : dirtyExtents(image)) {
                int first = (int) (e[0] / Qcow2Repository.CBT_BLOCK_SIZE);
                int last = (int) ((e[0] + e[1] - 1) / Qcow2Repository.CBT_BLOCK_SIZE);
                dirty.set(first, last + 1);
            }
        }
        List<ChangedBlocks.Extent> out = new ArrayList<>();
        for (int b = dirty.nextSetBit(0); b >= 0; ) {
            int end = dirty.nextClearBit(b);
            long offset = b * Qcow2Repository.CBT_BLOCK_SIZE;
            long length = Math.min((long) end * Qcow2Repository.CBT_BLOCK_SIZE, virtualSize) - offset;
            out.add(new ChangedBlocks.Extent(offset, length));
            b = dirty.nextSetBit(end);
        }
        return out;
    }

    private List<long[]> dirtyExtents(String image) {
        Path sock = context.workDir().resolve("nbd-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("driver", "qcow2");
        node.put("file", store.protocol(image));
        Process nbd;
        try {
            nbd = new ProcessBuilder(List.of("qemu-nbd", "--read-only", "--persistent", "--socket=" + sock,
                    "--bitmap=" + QemuImg.CBT_BITMAP, "json:" + Json.write(node)))
                    .redirectErrorStream(true).redirectOutput(context.workDir().resolve("qemu-nbd.log").toFile()).start();
        } catch (IOException e) {
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, "cannot run qemu-nbd: " + e.getMessage(), e);
        }
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(sock)) {
                if (!nbd.isAlive() || System.nanoTime() > deadline) {
                    throw new StorageException(StorageErrorCode.BACKEND_FAILED, "qemu-nbd could not export the bitmap of " + image
                            + ": " + readQuietly(context.workDir().resolve("qemu-nbd.log")));
                }
                Thread.sleep(5);
            }
            CommandRunner.Result r = context.commands().run(List.of("qemu-img", "map", "--output=json", "--image-opts",
                    "driver=nbd,server.type=unix,server.path=" + sock + ",x-dirty-bitmap=qemu:dirty-bitmap:" + QemuImg.CBT_BITMAP));
            if (!r.ok()) {
                throw CommandRunner.failed(r, List.of());
            }
            List<long[]> out = new ArrayList<>();
            for (Object o : Json.array(r.stdout())) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) o;
                if (Boolean.FALSE.equals(m.get("data"))) {
                    out.add(new long[] {((Number) m.get("start")).longValue(), ((Number) m.get("length")).longValue()});
                }
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(StorageErrorCode.BACKEND_FAILED, "interrupted", e);
        } finally {
            nbd.destroy();
            try {
                nbd.waitFor();
                Files.deleteIfExists(sock);
            } catch (InterruptedException | IOException ignored) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
