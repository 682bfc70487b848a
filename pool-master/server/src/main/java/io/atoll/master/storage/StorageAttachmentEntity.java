package io.atoll.master.storage;

import io.atoll.master.host.HostEntity;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.util.UUID;

/**
 * How one host reaches one storage repository (XAPI's PBD): the adapter's device configuration for
 * that host (JSON, e.g. an NFS export or a volume group) and whether it is attached now. Placement
 * uses it: a VM starts only where all its disks' repositories are attached.
 */
@Entity
@Table(name = "storage_attachment")
public class StorageAttachmentEntity {
    @Id
    private UUID uuid;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "repository_uuid")
    private StorageRepositoryEntity repository;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "host_uuid")
    private HostEntity host;
    /** JSON, in a varchar without a length (H2 and PostgreSQL alike). */
    private String deviceConfig;
    private boolean attached;
    private String reason;
    @Version
    private long version;

    protected StorageAttachmentEntity() {
    }

    public StorageAttachmentEntity(StorageRepositoryEntity repository, HostEntity host, String deviceConfigJson) {
        this.uuid = UUID.randomUUID();
        this.repository = repository;
        this.host = host;
        this.deviceConfig = deviceConfigJson;
    }

    public UUID getUuid() {
        return uuid;
    }

    public StorageRepositoryEntity getRepository() {
        return repository;
    }

    public HostEntity getHost() {
        return host;
    }

    public String getDeviceConfig() {
        return deviceConfig;
    }

    public boolean isAttached() {
        return attached;
    }

    /** Attached now, or not with the reason (the agent's answer). */
    public void setAttached(boolean attached, String reason) {
        this.attached = attached;
        this.reason = attached ? null : reason;
    }

    public String getReason() {
        return reason;
    }
}
