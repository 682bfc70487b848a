package io.atoll.storage.iscsi;

import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageAdapter.ConfigKey;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The device-config of an iSCSI repository, checked once so that nothing is changed on the
 * storage because of a typo. Built by {@link #of(SrConfig)}; error messages never contain the
 * CHAP password.
 *
 * @param srUuid the repository's uuid
 * @param srName the repository's name
 * @param portalHost the portal's host as QEMU should dial it
 * @param portalPort the portal's TCP port
 * @param target the IQN of the target the adapter creates and owns for this repository
 * @param backingDir the directory on the array host that holds one sub-directory per repository
 * @param capacity bytes the repository may hand out (disks and snapshots, at their full size)
 * @param chap the CHAP account, if initiators must authenticate
 * @param controlPort tgtd's management port ({@code tgtadm -C}); 0 is tgtd's default
 * @param managementTimeout how long a management query may take before the server counts as away
 */
public record IscsiConfig(String srUuid, String srName, String portalHost, int portalPort, String target,
                          Path backingDir, long capacity, Optional<Chap> chap, int controlPort,
                          Duration managementTimeout) {

    public static final String PORTAL = "portal";
    public static final String TARGET = "target";
    public static final String BACKING_DIR = "backing-dir";
    public static final String CAPACITY = "capacity";
    public static final String CHAP_USER = "chap-user";
    public static final String CHAP_PASSWORD = "chap-password";
    public static final String CONTROL_PORT = "tgt-control-port";
    public static final String TIMEOUT = "management-timeout-seconds";

    /** The keys {@link IscsiAdapter#configKeys()} declares. */
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey(PORTAL, true, false, "the target's portal, host:port (port 3260 when left out)"),
            new ConfigKey(TARGET, true, false, "the IQN of the target the adapter creates and owns for this repository, e.g. iqn.2024-01.io.atoll:sr1"),
            new ConfigKey(BACKING_DIR, true, false, "absolute directory on the array host where LUN backing files and the repository catalog go"),
            new ConfigKey(CAPACITY, true, false, "bytes the repository may allocate on the array (every disk and snapshot counts at its full size)"),
            new ConfigKey(CHAP_USER, false, false, "CHAP user initiators log in with (with chap-password)"),
            new ConfigKey(CHAP_PASSWORD, false, true, "CHAP secret for chap-user"),
            new ConfigKey(CONTROL_PORT, false, false, "tgtd's management port (tgtadm -C), 0 by default"),
            new ConfigKey(TIMEOUT, false, false, "seconds a management command may take before the array counts as unreachable, 30 by default"));

    // RFC 3720 names: iqn.YYYY-MM.reversed.domain[:anything], or eui.<16 hex digits>.
    private static final Pattern IQN = Pattern.compile("iqn\\.\\d{4}-\\d{2}\\.[a-z0-9][a-z0-9.-]*(:[a-z0-9.:_-]+)?|eui\\.[0-9A-F]{16}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]");

    /**
     * Reads and checks the device-config.
     *
     * @throws StorageException {@code INVALID_ARGUMENT} naming the key and what is wrong with it
     */
    public static IscsiConfig of(SrConfig sr) {
        String portal = sr.require(PORTAL).strip();
        int colon = portal.lastIndexOf(':');
        String host = portal;
        int port = 3260;
        if (colon > 0 && !portal.endsWith("]")) {
            host = portal.substring(0, colon);
            port = parseInt(sr, PORTAL, portal.substring(colon + 1), 1, 65535);
        }
        if (!HOST.matcher(host).matches()) {
            throw invalid(sr, PORTAL, "'" + portal + "' is not host:port");
        }
        String target = sr.require(TARGET).strip();
        if (!IQN.matcher(target).matches()) {
            throw invalid(sr, TARGET, "'" + target + "' is not an iSCSI name: use iqn.YYYY-MM.reversed.domain:name in lower case");
        }
        Path dir = backingDir(sr);
        long capacity;
        try {
            capacity = Long.parseLong(sr.require(CAPACITY).strip());
        } catch (NumberFormatException e) {
            throw invalid(sr, CAPACITY, "'" + sr.get(CAPACITY, "") + "' is not a number of bytes");
        }
        if (capacity <= 0) {
            throw invalid(sr, CAPACITY, capacity + " bytes: give a size above 0");
        }
        String user = sr.get(CHAP_USER, "").strip();
        String password = sr.get(CHAP_PASSWORD, "");
        if (user.isEmpty() != password.isEmpty()) {
            throw invalid(sr, user.isEmpty() ? CHAP_USER : CHAP_PASSWORD, "is missing: CHAP needs both chap-user and chap-password");
        }
        if (!user.isEmpty() && !user.matches("[A-Za-z0-9._@:-]{1,64}")) {
            throw invalid(sr, CHAP_USER, "'" + user + "' is not allowed: use up to 64 letters, digits and . _ @ : -");
        }
        Optional<Chap> chap = user.isEmpty() ? Optional.empty() : Optional.of(new Chap(user, password));
        return new IscsiConfig(sr.uuid(), sr.name(), host, port, target, dir, capacity, chap, controlPort(sr), managementTimeout(sr));
    }

    /** {@value #BACKING_DIR}, the one key probing needs besides the manager's own. */
    public static Path backingDir(SrConfig sr) {
        Path dir = Path.of(sr.require(BACKING_DIR).strip());
        if (!dir.isAbsolute() || dir.normalize().toString().contains("..")) {
            throw invalid(sr, BACKING_DIR, "'" + dir + "' is not an absolute path");
        }
        return dir;
    }

    /** {@value #CONTROL_PORT}, 0 when not given. */
    public static int controlPort(SrConfig sr) {
        return parseInt(sr, CONTROL_PORT, sr.get(CONTROL_PORT, "0"), 0, Integer.MAX_VALUE);
    }

    /** {@value #TIMEOUT}, 30 s when not given. */
    public static Duration managementTimeout(SrConfig sr) {
        return Duration.ofSeconds(parseInt(sr, TIMEOUT, sr.get(TIMEOUT, "30"), 1, 3600));
    }

    /** {@code host:port}, as QEMU's {@code portal} option takes it. */
    public String portal() {
        return portalHost + ":" + portalPort;
    }

    private static int parseInt(SrConfig sr, String key, String value, int min, int max) {
        try {
            int v = Integer.parseInt(value.strip());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(sr, key, "'" + value + "' is not a number from " + min + " to " + max);
    }

    private static StorageException invalid(SrConfig sr, String key, String why) {
        return new StorageException(StorageErrorCode.INVALID_ARGUMENT, "storage repository " + sr.name()
                + ": device-config '" + key + "' " + why);
    }
}
