package io.atoll.master.storage;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;

/**
 * A storage repository (XAPI's SR): a place virtual disks live, served by a storage adapter
 * ({@code type} names it, e.g. {@code local}, {@code nfs}, {@code lvm}). Hosts reach it through
 * their {@link StorageAttachmentEntity attachments}. No API yet; the VM disks of this slice are
 * plain paths.
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
    private Instant createdAt;
    @Version
    private long version;

    protected StorageRepositoryEntity() {
    }

    public StorageRepositoryEntity(String name, String type, boolean shared) {
        this.uuid = UUID.randomUUID();
        this.name = name;
        this.description = "";
        this.type = type;
        this.contentType = "user";
        this.shared = shared;
        this.createdAt = Instant.now();
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
}
