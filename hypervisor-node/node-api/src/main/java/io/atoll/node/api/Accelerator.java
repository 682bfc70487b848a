package io.atoll.node.api;

/** How QEMU executes guest code. */
public enum Accelerator {
    /** KVM where the host's KVM is usable, TCG otherwise; the agent logs its choice and why. */
    AUTO,
    /** Hardware virtualization through /dev/kvm; refused where KVM is unusable. */
    KVM,
    /** QEMU's software emulation: slow, but works everywhere. */
    TCG;

    /** The value QEMU's {@code -accel} option takes. */
    public String qemuName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
