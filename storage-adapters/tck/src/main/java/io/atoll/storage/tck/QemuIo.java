package io.atoll.storage.tck;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.QemuSecret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes patterns on an attached disk with {@code qemu-io}, opening it exactly as QEMU
 * would from the adapter's {@link DiskAttachment} (a {@code json:} filename, secrets as objects
 * read from private files).
 */
public final class QemuIo {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CommandRunner RUN = new CommandRunner();

    private QemuIo() {
    }

    /** The {@code json:} pseudo-filename QEMU tools open the attachment with. */
    public static String filename(DiskAttachment a) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("driver", a.format());
        node.putAll(a.formatOptions());
        node.put("file", a.protocol());
        try {
            return "json:" + JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Runs qemu-io commands ({@code "write -P 0xab 0 1M"}) on the disk; fails with qemu-io's output. */
    public static String run(DiskAttachment a, Path scratch, String... commands) {
        List<String> cmd = new ArrayList<>(List.of("qemu-io"));
        List<Path> secretFiles = new ArrayList<>();
        try {
            for (QemuSecret s : a.secrets()) {
                Path f = Files.createTempFile(scratch, "secret", "");
                Files.writeString(f, s.value());
                secretFiles.add(f);
                cmd.addAll(List.of("--object", "secret,id=" + s.id() + ",format=raw,file=" + f));
            }
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
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            secretFiles.forEach(f -> f.toFile().delete());
        }
    }

    /** Writes {@code pattern} over {@code length} bytes at {@code offset}. */
    public static void write(DiskAttachment a, Path scratch, int pattern, long offset, long length) {
        run(a, scratch, "write -P " + pattern + " " + offset + " " + length);
    }

    /** Checks that the range reads as {@code pattern}. */
    public static void verify(DiskAttachment a, Path scratch, int pattern, long offset, long length) {
        run(a, scratch, "read -P " + pattern + " " + offset + " " + length);
    }
}
