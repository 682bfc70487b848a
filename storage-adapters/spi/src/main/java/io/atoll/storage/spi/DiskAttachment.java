package io.atoll.storage.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What QEMU needs to open an attached disk: a protocol node and a format node, as
 * {@code -blockdev} options (without {@code node-name}, which the host runtime assigns).
 *
 * <p>Examples: {@code {"driver":"file","filename":"/srv/sr/3f2a.qcow2"}} with format
 * {@code qcow2}; {@code {"driver":"iscsi","transport":"tcp","portal":"10.0.0.5:3260",
 * "target":"iqn…","lun":3,"user":"atoll","password-secret":"chap-3"}} with format {@code raw}
 * and a {@link QemuSecret} {@code chap-3}; {@code {"driver":"host_device","filename":"/dev/sdb"}}
 * with format {@code raw} and format options {@code {"offset":…,"size":…}} for a window of a
 * physical volume.
 *
 * @param protocol the protocol node's options ({@code driver} and its keys)
 * @param format {@code raw} or {@code qcow2}
 * @param formatOptions extra options of the format node; an offset window is
 *     {@code {"offset":N,"size":M}} on a {@code raw} format node, or is expressed in the
 *     protocol node as a nested raw node for qcow2-inside-a-window
 * @param readOnly whether it was attached read-only
 * @param secrets the secrets the options refer to
 */
public record DiskAttachment(Map<String, Object> protocol, String format, Map<String, Object> formatOptions,
                             boolean readOnly, List<QemuSecret> secrets) {
    public DiskAttachment {
        Objects.requireNonNull(protocol, "protocol");
        if (!(protocol.get("driver") instanceof String)) {
            throw new IllegalArgumentException("the protocol node needs a 'driver'");
        }
        protocol = Map.copyOf(protocol);
        Objects.requireNonNull(format, "format");
        formatOptions = formatOptions == null ? Map.of() : Map.copyOf(formatOptions);
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
    }
}
