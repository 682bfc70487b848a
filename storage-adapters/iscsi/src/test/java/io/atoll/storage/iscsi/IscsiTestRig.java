package io.atoll.storage.iscsi;

import io.atoll.storage.spi.AdapterContext;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Adapters as hosts would make them, repositories on a {@link TgtServer}, and assertions on errors. */
final class IscsiTestRig implements AutoCloseable {
    static final long MIB = 1024 * 1024;
    static final long GIB = 1024 * MIB;

    final TgtServer tgt;
    private final Path workRoot;

    IscsiTestRig(TgtServer tgt) throws IOException {
        this.tgt = tgt;
        this.workRoot = Files.createTempDirectory(Path.of("/tmp"), "atoll-iscsi-hosts-");
    }

    /** The adapter of host {@code hostUuid}, as the plugin loader would create it. */
    IscsiAdapter adapter(String hostUuid) throws IOException {
        Path work = Files.createDirectories(workRoot.resolve(hostUuid));
        return (IscsiAdapter) new IscsiAdapterFactory().create(new AdapterContext(hostUuid, work, new CommandRunner()));
    }

    /** A repository config with a fresh uuid and target on the rig's server. */
    SrConfig sr(String name, long capacity) {
        return sr(name, capacity, Map.of());
    }

    SrConfig sr(String name, long capacity, Map<String, String> extra) {
        String uuid = UUID.randomUUID().toString();
        Map<String, String> dc = new HashMap<>(tgt.deviceConfig("iqn.2024-01.io.atoll:" + uuid.substring(0, 8), capacity));
        dc.putAll(extra);
        return new SrConfig(uuid, name, IscsiAdapterFactory.NAME, dc);
    }

    /** The LUN numbers tgtd exports for a target (LUN 0, tgt's controller, left out). */
    List<Integer> exportedLuns(String iqn) {
        return TgtTargets.parse(tgt.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "target")).byIqn(iqn)
                .map(t -> t.luns().keySet().stream().filter(n -> n != 0).sorted().toList()).orElse(List.of());
    }

    boolean targetExists(String iqn) {
        return TgtTargets.parse(tgt.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "target")).byIqn(iqn).isPresent();
    }

    /** The volume files of a repository on the array. */
    List<String> volumeFiles(SrConfig sr) throws IOException {
        Path dir = tgt.backingDir().resolve(sr.uuid());
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".img") || n.endsWith(".copy")).sorted().toList();
        }
    }

    static StorageException assertError(StorageErrorCode code, ThrowingCallable call) {
        var thrown = assertThatThrownBy(call).isInstanceOf(StorageException.class);
        thrown.extracting(e -> ((StorageException) e).code()).isEqualTo(code);
        StorageException[] out = new StorageException[1];
        thrown.satisfies(e -> out[0] = (StorageException) e);
        return out[0];
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> walk = Files.walk(workRoot)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
