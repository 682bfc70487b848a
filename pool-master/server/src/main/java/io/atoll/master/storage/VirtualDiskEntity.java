package io.atoll.master.storage;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;

/**
 * A virtual disk (XAPI's VDI): a volume in a storage repository, named by the adapter's
 * {@code location}. VMs use it through a {@link io.atoll.master.vm.VmDiskEntity}.
 */
@Entity
@Table(name = "virtual_disk")
public class VirtualDiskEntity {
    @Id
    private UUID uuid;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "repository_uuid")
    private StorageRepositoryEntity repository;
    private String name;
    private String description;
    private long virtualSizeBytes;
    private String format;
    private String location;
    private boolean readOnly;
    private Instant createdAt;
    @Version
    private long version;

    protected VirtualDiskEntity() {
    }

    public VirtualDiskEntity(StorageRepositoryEntity repository, String name, long virtualSizeBytes, String format, String location) {
        if (virtualSizeBytes <= 0) {
            throw new IllegalArgumentException("virtual disk " + name + ": size is " + virtualSizeBytes + " bytes: give a positive size");
        }
        this.uuid = UUID.randomUUID();
        this.repository = repository;
        this.name = name;
        this.description = "";
        this.virtualSizeBytes = virtualSizeBytes;
        this.format = format;
        this.location = location;
        this.createdAt = Instant.now();
    }

    public UUID getUuid() {
        return uuid;
    }

    public StorageRepositoryEntity getRepository() {
        return repository;
    }

    public String getName() {
        return name;
    }

    public long getVirtualSizeBytes() {
        return virtualSizeBytes;
    }

    public String getFormat() {
        return format;
    }

    public String getLocation() {
        return location;
    }

    public boolean isReadOnly() {
        return readOnly;
    }
}
