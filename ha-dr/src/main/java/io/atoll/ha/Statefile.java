package io.atoll.ha;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The statefile: a heartbeat area on a shared storage repository (a directory every host mounts), one
 * small file per host, {@code HOST.hb}, holding {@code {"host","counter","timestamp"}}. Each host writes
 * its own every T/5 ({@link StatefileWriter}) and anyone reads all of them. A write goes to a temporary
 * file that is fsynced and renamed over the old one, then the directory is fsynced: a reader sees the
 * old heartbeat or the new one, never half of one.
 *
 * <p>Freshness is judged by the counter moving, seen on the reader's own clock ({@link HostLiveness}),
 * never by comparing the timestamp with the reader's clock: hosts' clocks need not agree.
 */
public final class Statefile {
    private static final String SUFFIX = ".hb";
    private static final Pattern CONTENT = Pattern.compile(
            "\\{\"host\":\"([^\"]+)\",\"counter\":(\\d+),\"timestamp\":\"([^\"]+)\"}");

    /** One host's last heartbeat. */
    public record Heartbeat(String host, long counter, Instant timestamp) {
        public Heartbeat {
            if (host == null || !host.matches("[A-Za-z0-9._-]{1,200}")) {
                throw new IllegalArgumentException("a statefile host name is 1 to 200 of [A-Za-z0-9._-]: " + host);
            }
        }

        String json() {
            return "{\"host\":\"" + host + "\",\"counter\":" + counter + ",\"timestamp\":\"" + timestamp + "\"}";
        }
    }

    private final Path directory;

    public Statefile(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    /** Writes {@code beat} atomically and durably (temporary file, fsync, rename, fsync of the directory). */
    public void write(Heartbeat beat) throws IOException {
        Path target = directory.resolve(beat.host() + SUFFIX);
        Path tmp = directory.resolve("." + beat.host() + SUFFIX + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap((beat.json() + "\n").getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // Some file systems refuse to sync a directory; the rename is still atomic there.
        }
    }

    /** Every host's heartbeat; unreadable or malformed files are left out (they count as stale). */
    public Map<String, Heartbeat> readAll() throws IOException {
        Map<String, Heartbeat> out = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
            for (Path f : files) {
                Heartbeat b = parse(f);
                if (b != null) {
                    out.put(b.host(), b);
                }
            }
        }
        return out;
    }

    private static Heartbeat parse(Path file) {
        try {
            Matcher m = CONTENT.matcher(Files.readString(file).trim());
            if (!m.matches()) {
                return null;
            }
            return new Heartbeat(m.group(1), Long.parseLong(m.group(2)), Instant.parse(m.group(3)));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
