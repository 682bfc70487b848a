package io.atoll.master.storage;

import io.atoll.master.host.HostEntity;
import io.atoll.node.api.SrState;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A storage repository (XAPI's SR): a place virtual disks live, served by a storage adapter
 * ({@code type} names it: {@code local}, {@code nfs}, {@code lvm}, {@code iscsi}, a partner's).
 * Hosts reach it through their {@link StorageAttachmentEntity attachments}: every host that may
 * run its VMs for a shared one, the one {@code localHost} otherwise.
 */
@Entity
@Table(name = "storage_repository")
public class StorageRepositoryEntity {
    @Id
    private UUID uuid;
    private String name;
    private String description;
    private String type;
    private String contentType;
    private boolean shared;
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "local_host")
    private HostEntity localHost;
    private long physicalSizeBytes;
    private long physicalUtilisationBytes;
    private long virtualAllocationBytes;
    private Instant createdAt;
    @Version
    private long version;

    protected StorageRepositoryEntity() {
    }

    public StorageRepositoryEntity(UUID uuid, String name, String type, boolean shared, HostEntity localHost) {
        this.uuid = uuid;
        this.name = name;
        this.description = "";
        this.type = type;
        this.contentType = "user";
        this.shared = shared;
        this.localHost = shared ? null : localHost;
        this.createdAt = Instant.now();
    }

    /** Space as a host reported it. */
    void measured(SrState state) {
        physicalSizeBytes = state.physicalSize();
        physicalUtilisationBytes = state.physicalUtilisation();
        virtualAllocationBytes = state.virtualAllocation();
    }

    Sr view(List<StorageAttachmentEntity> attachments) {
        return new Sr(uuid, name, description, type, shared, localHost == null ? null : localHost.getUuid(), physicalSizeBytes,
                physicalUtilisationBytes, virtualAllocationBytes,
                attachments.stream().map(a -> new Sr.Attachment(a.getHost().getUuid(), a.isAttached(), a.getReason())).toList(),
                createdAt);
    }

    public UUID getUuid() {
        return uuid;
    }

    public String getName() {
        return name;
    }

    public String getType() {
        return type;
    }

    public boolean isShared() {
        return shared;
    }

    public HostEntity getLocalHost() {
        return localHost;
    }

    public String label() {
        return "sr " + uuid + " (" + name + ")";
    }
}
