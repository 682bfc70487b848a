package io.atoll.master.vm;

import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.DiskSpec.DiskBus;
import java.nio.file.Path;
import java.util.Map;

/**
 * A disk in a VM create request: an image file that exists at the same path on the hosts the VM
 * may run on (virtual disks from storage repositories come later).
 *
 * @param id device id ({@code disk0}); {@code diskN} by position when omitted
 * @param path absolute path of the image file
 * @param format {@code raw} or {@code qcow2}; from the file name ({@code .qcow2}) when omitted, else raw
 * @param bootIndex firmware boot order, lowest first, or omitted
 * @param readOnly open read-only (default false)
 * @param bus {@code VIRTIO} (default) or {@code IDE}
 */
public record VmDiskRequest(String id, String path, String format, Integer bootIndex, Boolean readOnly, DiskBus bus) {
    public VmDiskRequest {
        if (path == null || !path.startsWith("/") || path.length() > 4096 || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("disk " + (id == null ? "" : id + " ") + "path '" + path + "' must be an absolute file path");
        }
        if (!Path.of(path).normalize().toString().equals(path)) {
            throw new IllegalArgumentException("disk path '" + path + "' must be normalized (no '.', '..' or '//')");
        }
        if (format == null) {
            format = path.endsWith(".qcow2") ? "qcow2" : "raw";
        }
        if (readOnly == null) {
            readOnly = false;
        }
        if (bus == null) {
            bus = DiskBus.VIRTIO;
        }
    }

    VmDiskRequest withId(String newId) {
        return new VmDiskRequest(newId, path, format, bootIndex, readOnly, bus);
    }

    /** The agent's form; its constructor checks the id, format and boot index. */
    DiskSpec toSpec() {
        return new DiskSpec(id, format, Map.of("driver", "file", "filename", path), Map.of(), readOnly, bus, bootIndex);
    }
}
