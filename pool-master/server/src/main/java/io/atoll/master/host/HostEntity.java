package io.atoll.master.host;

import io.atoll.master.agent.AgentEndpoint;
import io.atoll.node.api.HostFacts;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A host of the pool: where its agent answers, its facts as of the last poll, its health. The
 * agent token is kept to call the agent and leaves this class only inside an {@link AgentEndpoint}.
 *
 * <p>No optimistic version: every writer (poll, placement, start, eject) locks the row first, and a
 * version check on a row the poller rewrites every few seconds would only fail those writers.
 */
@Entity
@Table(name = "host")
public class HostEntity {
    /** Memory changes smaller than this share of the total are not written: they would make an event per poll. */
    private static final double MEMORY_CHANGE_WORTH_AN_EVENT = 0.01;
    /** {@code lastContactAt} is written at most this often: not a database write per host per poll. */
    private static final java.time.Duration CONTACT_PRECISION = java.time.Duration.ofMinutes(1);

    @Id
    private UUID uuid;
    private String name;
    private String address;
    private String agentUrl;
    private String agentToken;
    private boolean enabled;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private HostHealth health;
    private String healthReason;
    private Instant lastContactAt;
    private int cpuCount;
    private String cpuModel;
    private long memoryTotalBytes;
    private long memoryFreeForVmsBytes;
    private boolean kvmUsable;
    private String kvmReason;
    private String accelerator;
    private String qemuVersion;
    private Instant factsUpdatedAt;
    private Instant joinedAt;
    /** VMs the agent reports that the pool does not know (reconciliation counts them, never touches them). */
    private int foreignVms;
    /** The identity the agent reports; {@code null} for a host joined before agents reported one, until its next poll. */
    private UUID agentHostUuid;
    private String migrationAddress;

    protected HostEntity() {
    }

    /** A host joining: its uuid is the one its agent reports, so it keeps its identity across ejects and re-joins. */
    public HostEntity(URI agentUrl, String agentToken, HostFacts facts) {
        this.uuid = facts.hostUuid() != null ? facts.hostUuid() : UUID.randomUUID();
        this.agentHostUuid = facts.hostUuid();
        this.agentUrl = agentUrl.toString();
        this.address = agentUrl.getHost();
        this.agentToken = agentToken;
        this.enabled = true;
        this.joinedAt = Instant.now();
        applyFacts(facts, joinedAt);
    }

    private boolean factsChanged(HostFacts f) {
        return health != HostHealth.ONLINE || !Objects.equals(name, f.hostname()) || cpuCount != f.cpuCount()
                || !Objects.equals(cpuModel, f.cpuModel()) || memoryTotalBytes != f.memoryTotalBytes()
                || kvmUsable != f.kvm().usable() || !Objects.equals(kvmReason, f.kvm().reason())
                || !Objects.equals(accelerator, f.defaultAccelerator().qemuName()) || !Objects.equals(qemuVersion, f.qemuVersion())
                || Math.abs(memoryFreeForVmsBytes - f.memoryFreeForVmsBytes()) >= MEMORY_CHANGE_WORTH_AN_EVENT * f.memoryTotalBytes();
    }

    /**
     * Whether a poll's facts would change nothing stored: the same identity, nothing worth an event,
     * the last contact recent enough. Most polls of a quiet pool are such; they need no write.
     */
    boolean pollChangesNothing(HostFacts f, Instant now) {
        return agentHostUuid != null && identityMismatch(f) == null && !factsChanged(f) && lastContactAt != null
                && !lastContactAt.plus(CONTACT_PRECISION).isBefore(now);
    }

    /** Takes the facts of a poll; answers whether anything worth an event changed. */
    boolean applyFacts(HostFacts f, Instant now) {
        boolean changed = factsChanged(f);
        if (lastContactAt == null || changed || lastContactAt.plus(CONTACT_PRECISION).isBefore(now)) {
            lastContactAt = now;
        }
        if (!changed) {
            return false;
        }
        health = HostHealth.ONLINE;
        healthReason = null;
        name = f.hostname();
        cpuCount = f.cpuCount();
        cpuModel = f.cpuModel();
        memoryTotalBytes = f.memoryTotalBytes();
        memoryFreeForVmsBytes = f.memoryFreeForVmsBytes();
        kvmUsable = f.kvm().usable();
        kvmReason = f.kvm().reason();
        accelerator = f.defaultAccelerator().qemuName();
        qemuVersion = f.qemuVersion();
        factsUpdatedAt = now;
        return true;
    }

    /**
     * Why the agent that answered is not this host's (another machine took its address, or this one
     * was reinstalled), or {@code null} when it is. A host joined before agents reported their
     * identity takes the first one reported; an agent that reports none is taken at its word.
     */
    String identityMismatch(HostFacts f) {
        if (f.hostUuid() == null || f.hostUuid().equals(agentHostUuid)) {
            return null;
        }
        if (agentHostUuid == null) {
            agentHostUuid = f.hostUuid();
            return null;
        }
        return "the agent at " + agentUrl + " answers as host " + f.hostUuid() + " (" + f.hostname() + "), not as this host "
                + agentHostUuid + ": another machine took the address, or this one was reinstalled; eject this host and join the "
                + "machine at that address anew";
    }

    /** The agent did not answer; answers whether the health changed. */
    boolean unreachable(String reason) {
        boolean changed = health != HostHealth.UNREACHABLE;
        health = HostHealth.UNREACHABLE;
        healthReason = reason;
        return changed;
    }

    /**
     * Counts memory just promised to a VM started here, until the next poll brings the agent's
     * own figure: two starts between polls must not both count on the same free memory.
     */
    public void reserveMemory(long bytes) {
        memoryFreeForVmsBytes = Math.max(0, memoryFreeForVmsBytes - bytes);
    }

    /** Records how many VMs the host runs that the pool does not know; answers whether it changed. */
    public boolean foreignVms(int count) {
        boolean changed = foreignVms != count;
        foreignVms = count;
        return changed;
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** Where live migrations come in: the migration network's address when set, else the agent's. */
    public String migrationListenAddress() {
        return migrationAddress != null ? migrationAddress : URI.create(agentUrl).getHost();
    }

    void setMigrationAddress(String address) {
        this.migrationAddress = address;
    }

    public AgentEndpoint agent() {
        return new AgentEndpoint(uuid, URI.create(agentUrl), agentToken);
    }

    public Host view() {
        return new Host(uuid, name, address, agentUrl, enabled, health, healthReason, lastContactAt, cpuCount, cpuModel,
                memoryTotalBytes, memoryFreeForVmsBytes, kvmUsable, kvmReason, accelerator, qemuVersion, factsUpdatedAt, joinedAt,
                migrationAddress, foreignVms);
    }

    /** The management address: the agent URL's host (where VXLAN tunnels between hosts end). */
    public String getAddress() {
        return address;
    }

    public UUID getUuid() {
        return uuid;
    }

    public String getName() {
        return name;
    }

    public boolean isEnabled() {
        return enabled;
    }

    public HostHealth getHealth() {
        return health;
    }

    public long getMemoryFreeForVmsBytes() {
        return memoryFreeForVmsBytes;
    }

    public UUID getAgentHostUuid() {
        return agentHostUuid;
    }

    public String label() {
        return "host " + uuid + " (" + name + ")";
    }
}
