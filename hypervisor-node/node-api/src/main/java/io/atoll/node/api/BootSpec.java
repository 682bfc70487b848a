package io.atoll.node.api;

/**
 * Direct kernel boot: QEMU loads the kernel and initrd itself, no boot loader on a disk.
 *
 * @param kernel path of the kernel image on the host
 * @param initrd path of the initial ramdisk, or {@code null}
 * @param cmdline the kernel command line, or {@code null}
 */
public record BootSpec(String kernel, String initrd, String cmdline) {
    public BootSpec {
        if (kernel == null || kernel.isBlank()) {
            throw new IllegalArgumentException("boot: 'kernel' is required for a direct kernel boot; omit 'boot' to boot from a disk");
        }
    }
}
