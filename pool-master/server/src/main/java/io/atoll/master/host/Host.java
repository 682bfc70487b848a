package io.atoll.master.host;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A host as clients see it. Never carries the agent token.
 *
 * @param uuid the host's id in the pool
 * @param name the host's name, as its agent reports it
 * @param address the agent's host name or IP address
 * @param agentUrl where the master calls the agent
 * @param enabled whether new VMs may be placed on it
 * @param health whether the agent answered the last poll
 * @param healthReason why it is UNREACHABLE, else {@code null}
 * @param lastContact when the agent last answered (to the minute; health says whether it answers now)
 * @param cpuCount logical CPUs
 * @param cpuModel CPU model name
 * @param memoryTotalBytes physical memory
 * @param memoryFreeForVmsBytes memory the agent would still give to new VMs (at the last poll,
 *     less what VMs started since were promised)
 * @param kvmUsable whether guests run at hardware speed
 * @param kvmReason why KVM is or is not usable
 * @param accelerator what the agent's {@code auto} resolves to ({@code kvm}/{@code tcg})
 * @param qemuVersion the host's QEMU version
 * @param factsUpdated when the facts above were last written
 * @param joined when the host joined the pool
 * @param migrationAddress where it receives live migrations (its address on the migration
 *     network), or {@code null} for its management address
 * @param foreignVms VMs the host's agent reports that the pool does not know: reported by
 *     reconciliation, never touched
 */
public record Host(UUID uuid, String name, String address, String agentUrl, boolean enabled, HostHealth health,
                   String healthReason, Instant lastContact, int cpuCount, String cpuModel, long memoryTotalBytes,
                   long memoryFreeForVmsBytes, boolean kvmUsable, String kvmReason, String accelerator, String qemuVersion,
                   Instant factsUpdated, Instant joined, String migrationAddress, int foreignVms) {
    public Host {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(agentUrl, "agentUrl");
        Objects.requireNonNull(health, "health");
    }
}
