package io.atoll.node.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A disk of a VM, as a pair of QEMU block nodes: a protocol node ({@code source}: where the bytes
 * are, e.g. {@code {"driver":"file","filename":"/srv/d.qcow2"}} or an iSCSI LUN) and a format node
 * ({@code format}, with optional {@code formatOptions} such as a raw offset window).
 *
 * @param id device id, unique in the VM ({@code disk0}); also names the block nodes
 * @param format image format: {@code raw} or {@code qcow2}
 * @param source the protocol node's options, without {@code node-name}
 * @param formatOptions extra options of the format node ({@code offset}, {@code size}…), may be empty
 * @param readOnly open the disk read-only
 * @param bus how the guest sees it
 * @param bootIndex firmware boot order, lowest first; {@code null} for none
 *     <p>A disk in one of the host's attached storage repositories is named by
 *     {@code {"driver":"atoll-vdi","sr":"SR-UUID","vdi":"DISK-ID"}} ({@link #VDI_DRIVER}): the agent
 *     attaches it through the repository's adapter before QEMU opens it, uses the attachment's
 *     format, protocol node, format options and secrets in place of this record's, and detaches it
 *     when the VM stops.
 * @param secrets secrets the source refers to (id → value, e.g. a CHAP password named by
 *     {@code password-secret}); handed to QEMU through private files, never on its command line,
 *     and shown as {@code ***} by {@link #redacted()} and {@link #toString()}
 */
public record DiskSpec(String id, String format, Map<String, Object> source,
                       Map<String, Object> formatOptions, boolean readOnly, DiskBus bus,
                       Integer bootIndex, Map<String, String> secrets) {

    /** The source driver naming a disk of an attached storage repository (see {@code source}). */
    public static final String VDI_DRIVER = "atoll-vdi";

    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{0,24}");

    /** The bus a disk is attached to. */
    public enum DiskBus { VIRTIO, IDE }

    public DiskSpec {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("disk id '" + id
                    + "' is invalid: use 1-25 lower-case letters, digits or '-', starting with a letter (e.g. disk0)");
        }
        if (format == null) {
            format = "raw";
        }
        if (!format.equals("raw") && !format.equals("qcow2")) {
            throw new IllegalArgumentException("disk " + id + ": format '" + format + "' is not supported: use raw or qcow2");
        }
        Objects.requireNonNull(source, () -> "disk " + id + ": source is required (e.g. {\"driver\":\"file\",\"filename\":\"/path\"})");
        if (!(source.get("driver") instanceof String)) {
            throw new IllegalArgumentException("disk " + id + ": source needs a 'driver' (file, host_device, iscsi, nfs…)");
        }
        source = Map.copyOf(new LinkedHashMap<>(source));
        formatOptions = formatOptions == null ? Map.of() : Map.copyOf(formatOptions);
        if (bus == null) {
            bus = DiskBus.VIRTIO;
        }
        if (bootIndex != null && bootIndex < 0) {
            throw new IllegalArgumentException("disk " + id + ": bootIndex must be 0 or more");
        }
        secrets = secrets == null ? Map.of() : Map.copyOf(secrets);
        for (String secretId : secrets.keySet()) {
            if (!ID.matcher(secretId).matches()) {
                throw new IllegalArgumentException("disk " + id + ": secret id '" + secretId + "' is invalid: use lower-case letters, digits or '-'");
            }
        }
    }

    /** A disk without secrets, as before secrets existed. */
    public DiskSpec(String id, String format, Map<String, Object> source, Map<String, Object> formatOptions,
                    boolean readOnly, DiskBus bus, Integer bootIndex) {
        this(id, format, source, formatOptions, readOnly, bus, bootIndex, Map.of());
    }

    /** This disk with its secret values replaced by {@code ***}: for answers and logs. */
    public DiskSpec redacted() {
        if (secrets.isEmpty()) {
            return this;
        }
        Map<String, String> hidden = new LinkedHashMap<>();
        secrets.keySet().forEach(k -> hidden.put(k, "***"));
        return new DiskSpec(id, format, source, formatOptions, readOnly, bus, bootIndex, hidden);
    }

    @Override
    public String toString() {
        return "DiskSpec[id=" + id + ", format=" + format + ", source=" + source + ", formatOptions=" + formatOptions
                + ", readOnly=" + readOnly + ", bus=" + bus + ", bootIndex=" + bootIndex + ", secrets=" + secrets.keySet() + "]";
    }

    /** A disk image file on a local or mounted file system. */
    public static DiskSpec file(String id, String path, String format, Integer bootIndex) {
        return new DiskSpec(id, format, Map.of("driver", "file", "filename", path), Map.of(), false,
                DiskBus.VIRTIO, bootIndex);
    }

    /** The local file behind this disk, or {@code null} when its source is not a plain file. */
    public String localPath() {
        Object driver = source.get("driver");
        if ("file".equals(driver) || "host_device".equals(driver)) {
            Object filename = source.get("filename");
            return filename == null ? null : filename.toString();
        }
        return null;
    }
}
