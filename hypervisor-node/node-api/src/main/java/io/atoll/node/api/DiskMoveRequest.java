package io.atoll.node.api;

/**
 * Moves a running VM's repository disk to another disk of this host's repositories while the
 * guest runs ({@code POST /api/v1/vms/{uuid}/disks/{diskId}/move}).
 *
 * @param sr the target disk's storage repository, attached on this host (may be the disk's own)
 * @param vdi the target disk, created by the caller beforehand with the same virtual size; its
 *     content is overwritten
 */
public record DiskMoveRequest(String sr, String vdi) {
    /** Whether the request names a target (checked by the agent, which answers INVALID_REQUEST otherwise). */
    public boolean complete() {
        return sr != null && !sr.isBlank() && vdi != null && !vdi.isBlank();
    }
}
