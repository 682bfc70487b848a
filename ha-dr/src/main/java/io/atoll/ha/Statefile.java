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

    /**
     * Where the heartbeat files live: a directory (below), or a storage repository's heartbeat area
     * reached through its adapter (the node agent's case). {@code write} must be atomic and durable
     * (a reader sees the old content or the new, never half) and bounded in time; failures throw.
     */
    public interface Area {
        void write(String host, byte[] content) throws Exception;

        Map<String, byte[]> readAll() throws Exception;
    }

    private final Path directory;
    private final Area area;
    private final String description;

    public Statefile(Path directory) {
        this.directory = directory;
        this.area = null;
        this.description = directory.toString();
    }

    /** A statefile in another kind of area; {@code description} names it in logs. */
    public Statefile(Area area, String description) {
        this.directory = null;
        this.area = area;
        this.description = description;
    }

    /** The directory, or {@code null} for a statefile in an {@link Area}. */
    public Path directory() {
        return directory;
    }

    /** Where the heartbeats are, for logs. */
    public String describe() {
        return description;
    }

    /** Writes {@code beat} atomically and durably (temporary file, fsync, rename, fsync of the directory). */
    public void write(Heartbeat beat) throws IOException {
        byte[] content = (beat.json() + "\n").getBytes(StandardCharsets.UTF_8);
        if (area != null) {
            try {
                area.write(beat.host(), content);
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e.getMessage(), e);
            }
            return;
        }
        Path target = directory.resolve(beat.host() + SUFFIX);
        Path tmp = directory.resolve("." + beat.host() + SUFFIX + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
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
        if (area != null) {
            Map<String, byte[]> raw;
            try {
                raw = area.readAll();
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e.getMessage(), e);
            }
            raw.values().forEach(content -> {
                Heartbeat b = parse(content);
                if (b != null) {
                    out.put(b.host(), b);
                }
            });
            return out;
        }
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

    /** A heartbeat file's content, or {@code null} when it is not one. */
    public static Heartbeat parse(byte[] content) {
        try {
            Matcher m = CONTENT.matcher(new String(content, StandardCharsets.UTF_8).trim());
            if (!m.matches()) {
                return null;
            }
            return new Heartbeat(m.group(1), Long.parseLong(m.group(2)), Instant.parse(m.group(3)));
        } catch (RuntimeException e) {
            return null;
        }
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
