package io.atoll.master.vm;

import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.DiskSpec.DiskBus;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * A disk in a VM create request, one of three kinds: an existing virtual disk ({@code vdi}), a new
 * one made in a storage repository ({@code sr} and {@code sizeBytes}), or an image file that exists
 * at the same path on the hosts the VM may run on ({@code path}).
 *
 * @param id device id ({@code disk0}); {@code diskN} by position when omitted
 * @param vdi an existing virtual disk that no other VM uses
 * @param sr the repository to make a new disk in, with {@code sizeBytes}
 * @param sizeBytes the new disk's size, a positive multiple of 512
 * @param path absolute path of an image file
 * @param format for a path: {@code raw} or {@code qcow2}; from the file name ({@code .qcow2}) when omitted, else raw
 * @param bootIndex firmware boot order, lowest first, or omitted
 * @param readOnly open read-only (default false)
 * @param bus {@code VIRTIO} (default) or {@code IDE}
 */
public record VmDiskRequest(String id, UUID vdi, UUID sr, Long sizeBytes, String path, String format, Integer bootIndex,
                            Boolean readOnly, DiskBus bus) {
    public VmDiskRequest {
        String what = "disk " + (id == null ? "" : id + " ");
        int kinds = (vdi != null ? 1 : 0) + (sr != null ? 1 : 0) + (path != null ? 1 : 0);
        if (kinds != 1) {
            throw new IllegalArgumentException(what + "needs exactly one of 'vdi' (an existing virtual disk), 'sr' with 'sizeBytes' "
                    + "(a new disk in that repository) or 'path' (an image file on the hosts)");
        }
        if (sr != null) {
            io.atoll.master.storage.VdiCreateRequest.checkSize(what.trim(), sizeBytes);
        } else if (sizeBytes != null) {
            throw new IllegalArgumentException(what + "has 'sizeBytes' without 'sr': a new disk needs the repository to make it in");
        }
        if (path != null) {
            if (!path.startsWith("/") || path.length() > 4096 || path.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(what + "path '" + path + "' must be an absolute file path");
            }
            if (!Path.of(path).normalize().toString().equals(path)) {
                throw new IllegalArgumentException("disk path '" + path + "' must be normalized (no '.', '..' or '//')");
            }
            if (format == null) {
                format = path.endsWith(".qcow2") ? "qcow2" : "raw";
            }
        } else if (format != null) {
            throw new IllegalArgumentException(what + "has 'format': only image paths take one (a repository's adapter chooses its own)");
        }
        if (readOnly == null) {
            readOnly = false;
        }
        if (bus == null) {
            bus = DiskBus.VIRTIO;
        }
    }

    VmDiskRequest withId(String newId) {
        return new VmDiskRequest(newId, vdi, sr, sizeBytes, path, format, bootIndex, readOnly, bus);
    }

    /** This disk on a virtual disk (a new one just made for it). */
    VmDiskRequest onVdi(UUID madeVdi) {
        return new VmDiskRequest(id, madeVdi, null, null, null, null, bootIndex, readOnly, bus);
    }

    /**
     * The agent's form; its constructor checks the id, format and boot index. A virtual disk is a
     * placeholder here: {@link VmDiskEntity#spec()} names its repository and location.
     */
    DiskSpec toSpec() {
        if (path == null) {
            return new DiskSpec(id, "raw", Map.of("driver", DiskSpec.VDI_DRIVER), Map.of(), readOnly, bus, bootIndex);
        }
        return new DiskSpec(id, format, Map.of("driver", "file", "filename", path), Map.of(), readOnly, bus, bootIndex);
    }
}
