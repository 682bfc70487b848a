package io.atoll.node.api;

/**
 * A live disk move of a VM, in progress or as it ended ({@code GET /api/v1/vms/{uuid}/disks/{diskId}/move}).
 *
 * @param diskId the VM's disk
 * @param status {@code preparing}, {@code copying} (the first full pass), {@code ready} (in sync,
 *     switching over), {@code completed} (the guest runs on the new disk), {@code failed} or
 *     {@code cancelled} (the guest runs on the old disk)
 * @param copiedBytes what the copy has done, of {@code totalBytes} (grows again when the guest
 *     writes while it copies)
 * @param totalBytes the work the copy knows of so far (the disk's virtual size at least)
 * @param error why it failed, or {@code null}
 */
public record DiskMoveProgress(String diskId, String status, long copiedBytes, long totalBytes, String error) {
}
