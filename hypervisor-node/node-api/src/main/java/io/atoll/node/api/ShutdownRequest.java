package io.atoll.node.api;

/**
 * Options of a shutdown or reboot.
 *
 * @param force {@code true} for a hard shutdown (the QEMU process ends at once) or a hard reset
 * @param timeoutSeconds for a clean one: how long the guest gets to power off after the ACPI power
 *     button before it is stopped hard; the agent's default when {@code null}
 */
public record ShutdownRequest(boolean force, Integer timeoutSeconds) {
    public ShutdownRequest {
        if (timeoutSeconds != null && (timeoutSeconds < 0 || timeoutSeconds > 86_400)) {
            throw new IllegalArgumentException("timeoutSeconds is " + timeoutSeconds + ": give 0 to 86400 seconds");
        }
    }
}
