package io.atoll.storage.lvm;

import io.atoll.storage.qcow2.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A logical volume seen as a byte range of its physical volume: where QEMU finds the volume when
 * device-mapper cannot map it ({@code raw} driver with {@code offset} and {@code size} over the
 * PV's {@code host_device}). Valid only while the volume keeps its extents: volumes are allocated
 * contiguously and volumes other volumes depend on are never resized or moved.
 *
 * <p>Every form it gives turns off QEMU's image locking and uses direct I/O: all volumes of a
 * repository live on one device, which a lock per device would serialise (two volumes open at
 * once would conflict), and the device is shared between hosts, where page caches are not
 * coherent.
 *
 * @param device the physical volume's block device
 * @param offset the first byte of the volume on the device
 * @param size the volume's size in bytes
 */
record Window(String device, long offset, long size) {
    Window {
        if (offset < 0 || size <= 0) {
            throw new IllegalArgumentException("window " + offset + "+" + size + " on " + device + " is invalid");
        }
    }

    /** The device node: {@code host_device} without locking, direct I/O. */
    static Map<String, Object> deviceNode(String device) {
        Map<String, Object> dev = new LinkedHashMap<>();
        dev.put("driver", "host_device");
        dev.put("filename", device);
        dev.put("locking", "off");
        dev.put("cache", Map.of("direct", true));
        return dev;
    }

    /** The protocol node: {@code raw} over the window of the device. */
    Map<String, Object> rawNode() {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("driver", "raw");
        raw.put("offset", offset);
        raw.put("size", size);
        raw.put("file", deviceNode(device));
        return raw;
    }

    /** The qcow2 image inside the window as block options. */
    Map<String, Object> qcow2Node() {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("driver", "qcow2");
        q.put("file", rawNode());
        return q;
    }

    /**
     * The qcow2 image inside the window as a {@code json:} pseudo-filename: what qemu-img opens,
     * and what a child image records as its backing file.
     */
    String qcow2Filename() {
        return "json:" + Json.write(qcow2Node());
    }

    /** The window itself (raw bytes) as a {@code json:} pseudo-filename. */
    String rawFilename() {
        return "json:" + Json.write(rawNode());
    }

    /** The same start with another length (a prefix of the window, or the window after growing). */
    Window withSize(long newSize) {
        return new Window(device, offset, newSize);
    }

    /**
     * Whether a block-options map, as a host runtime reports a node of a running VM, is this
     * window: the map itself, a nested {@code file}, or a {@code filename} that is a {@code json:}
     * description (QEMU names nodes opened from backing references that way).
     */
    boolean matches(Map<?, ?> options) {
        if (options == null) {
            return false;
        }
        Object off = options.get("offset");
        if (off != null && off.toString().equals(Long.toString(offset)) && onDevice(options.get("file"))) {
            return true;
        }
        if (options.get("file") instanceof Map<?, ?> m && matches(m)) {
            return true;
        }
        if (options.get("filename") instanceof String f && f.startsWith("json:")) {
            try {
                return Json.parse(f.substring("json:".length())) instanceof Map<?, ?> m && matches(m);
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return false;
    }

    private boolean onDevice(Object file) {
        return !(file instanceof Map<?, ?> m) || m.get("filename") == null || device.equals(m.get("filename"));
    }
}
