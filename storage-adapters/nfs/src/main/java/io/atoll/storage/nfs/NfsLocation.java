package io.atoll.storage.nfs;

import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a repository lives: a directory {@code path} under the export {@code export} of the NFS
 * server {@code server}. The characters allowed are those that need no escaping in an
 * {@code nfs://} URL, so that QEMU, qemu-img and this adapter all name the same file.
 *
 * @param server host name or IPv4 address
 * @param export absolute path of the export on the server ({@code /srv/atoll}), no trailing '/'
 * @param path the repository's directory under the export, relative ({@code pool1/sr-42})
 */
public record NfsLocation(String server, String export, String path) {
    static final String SERVER = "server";
    static final String EXPORT = "export";
    static final String PATH = "path";
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})");
    private static final Pattern COMPONENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}");

    public NfsLocation {
        if (server == null || !HOST.matcher(server).matches()) {
            throw invalid(SERVER, server, "a host name or IPv4 address");
        }
        export = normalize(EXPORT, export, true);
        path = normalize(PATH, path, false);
    }

    /** The location a repository's device-config names: {@code server}, {@code export}, {@code path}. */
    public static NfsLocation of(SrConfig config) {
        return new NfsLocation(config.require(SERVER), config.require(EXPORT), config.require(PATH));
    }

    /** The path components of the repository's directory below the export. */
    public List<String> components() {
        return List.of(path.split("/"));
    }

    /** The directory's absolute path on the server ({@code /srv/atoll/pool1/sr-42}). */
    public String directory() {
        return export.equals("/") ? "/" + path : export + "/" + path;
    }

    /** {@code nfs://server/export/path/name}: how qemu-img and libnfs name a file of the repository. */
    public String url(String name) {
        return "nfs://" + server + directory() + "/" + name;
    }

    @Override
    public String toString() {
        return server + ":" + export + " " + path;
    }

    private static String normalize(String key, String value, boolean absolute) {
        String what = absolute ? "an absolute path such as /srv/atoll" : "a relative path such as atoll/sr1";
        if (value == null || value.isBlank() || value.startsWith("/") != absolute) {
            throw invalid(key, value, what);
        }
        String trimmed = value.replaceAll("/+$", "");
        if (trimmed.isEmpty()) {
            return "/";
        }
        for (String c : (absolute ? trimmed.substring(1) : trimmed).split("/")) {
            if (!COMPONENT.matcher(c).matches()) {
                throw invalid(key, value, what + " of letters, digits and . _ + - (no '..', no empty parts)");
            }
        }
        return trimmed;
    }

    private static StorageException invalid(String key, String value, String what) {
        return new StorageException(StorageErrorCode.INVALID_ARGUMENT, "device-config '" + key + "' is '" + value
                + "': give " + what);
    }
}
