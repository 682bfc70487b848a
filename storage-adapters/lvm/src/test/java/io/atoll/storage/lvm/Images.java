package io.atoll.storage.lvm;

import io.atoll.storage.qcow2.Json;
import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.DiskAttachment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and writes attached disks the way QEMU opens them: {@code json:} filenames from the attachment. */
final class Images {
    static final CommandRunner RUN = new CommandRunner();

    private Images() {
    }

    /** The attachment as QEMU's tools open it: format node over the protocol node. */
    static String filename(DiskAttachment a) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("driver", a.format());
        node.putAll(a.formatOptions());
        node.put("file", a.protocol());
        return "json:" + Json.write(node);
    }

    /** Runs qemu-io commands on the attachment and fails with its output unless all succeed. */
    static String io(DiskAttachment a, String... commands) {
        List<String> cmd = new ArrayList<>(List.of("qemu-io"));
        if (a.readOnly()) {
            cmd.add("-r");
        }
        for (String c : commands) {
            cmd.addAll(List.of("-c", c));
        }
        cmd.add(filename(a));
        CommandRunner.Result r = RUN.run(cmd);
        String out = r.stdout() + r.stderr();
        assertThat(r.exitCode()).as("qemu-io %s: %s", List.of(commands), out).isZero();
        assertThat(out).as("qemu-io %s", List.of(commands)).doesNotContain("Pattern verification failed", "error", "failed");
        return out;
    }

    /** The SHA-256 of the disk's whole content, from {@code qemu-img convert -O raw} into a temporary file. */
    static String digest(DiskAttachment a, Path scratch) throws IOException {
        Path raw = Files.createTempFile(scratch, "dump-", ".raw");
        try {
            CommandRunner.Result r = RUN.run(List.of("qemu-img", "convert", "-O", "raw", filename(a), raw.toString()));
            assertThat(r.exitCode()).as("qemu-img convert: %s", r.stderr()).isZero();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(raw)) {
                byte[] buf = new byte[1 << 20];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            Files.deleteIfExists(raw);
        }
    }

    /** {@code qemu-img info --backing-chain} of the attachment. */
    static String chain(DiskAttachment a) {
        CommandRunner.Result r = RUN.run(List.of("qemu-img", "info", "--backing-chain", filename(a)));
        assertThat(r.exitCode()).as("qemu-img info: %s", r.stderr()).isZero();
        return r.stdout();
    }
}
