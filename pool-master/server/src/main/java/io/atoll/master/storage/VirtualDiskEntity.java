package io.atoll.master.storage;

import io.atoll.node.api.VdiInfo;
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
 * A virtual disk (XAPI's VDI): a volume in a storage repository, named there by the adapter's
 * {@code location}. VMs use it through a {@link io.atoll.master.vm.VmDiskEntity}. A snapshot is a
 * read-only virtual disk with {@code snapshotOf} set.
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
    private long physicalUtilisationBytes;
    /** The format QEMU sees is the adapter's business at attach; kept for display. */
    private String format;
    private String location;
    private boolean readOnly;
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "snapshot_of")
    private VirtualDiskEntity snapshotOf;
    private Instant createdAt;
    @Version
    private long version;

    protected VirtualDiskEntity() {
    }

    /** A disk the adapter reported (created, snapshotted, cloned or found by a scan). */
    public VirtualDiskEntity(StorageRepositoryEntity repository, VdiInfo info, VirtualDiskEntity snapshotOf) {
        this.uuid = UUID.randomUUID();
        this.repository = repository;
        this.name = info.name();
        this.description = "";
        this.format = "auto";
        this.location = info.id();
        this.snapshotOf = snapshotOf;
        this.createdAt = info.createdAt() == null ? Instant.now() : info.createdAt();
        measured(info);
    }

    /** Sizes and flags as the adapter reports them now. */
    public void measured(VdiInfo info) {
        this.virtualSizeBytes = info.virtualSize();
        this.physicalUtilisationBytes = info.physicalUtilisation();
        this.readOnly = info.readOnly();
    }

    public Vdi view() {
        return new Vdi(uuid, repository.getUuid(), name, virtualSizeBytes, physicalUtilisationBytes, location, readOnly,
                snapshotOf == null ? null : snapshotOf.getUuid(), createdAt);
    }

    void forgetSnapshotOf() {
        snapshotOf = null;
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

    public VirtualDiskEntity getSnapshotOf() {
        return snapshotOf;
    }

    public String label() {
        return "vdi " + uuid + " (" + name + ")";
    }
}
