package io.atoll.master.vm;

import io.atoll.master.storage.VirtualDiskEntity;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.DiskSpec.DiskBus;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A disk of a VM (XAPI's VBD): either a {@link VirtualDiskEntity} of a storage repository or, for
 * now, a plain image path on the hosts — exactly one of the two (a check constraint says so).
 */
@Entity
@Table(name = "vm_disk")
public class VmDiskEntity {
    @Id
    private UUID uuid;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "vm_uuid")
    private VmEntity vm;
    private int position;
    private String deviceId;
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "virtual_disk_uuid")
    private VirtualDiskEntity virtualDisk;
    private String path;
    private String format;
    private Integer bootIndex;
    private boolean readOnly;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private DiskBus bus;

    protected VmDiskEntity() {
    }

    /** A disk from a spec: on {@code virtualDisk} when given, else on the spec's image path. */
    VmDiskEntity(VmEntity vm, int position, DiskSpec disk, VirtualDiskEntity virtualDisk) {
        this.uuid = UUID.randomUUID();
        this.vm = vm;
        this.position = position;
        this.deviceId = disk.id();
        this.virtualDisk = virtualDisk;
        this.path = virtualDisk == null ? disk.localPath() : null;
        this.format = virtualDisk == null ? disk.format() : virtualDisk.getFormat();
        this.bootIndex = disk.bootIndex();
        this.readOnly = disk.readOnly();
        this.bus = disk.bus();
    }

    /** A copy of {@code from} for another VM, on {@code virtualDisk} (its clone or snapshot), or on the same disk. */
    VmDiskEntity(VmEntity vm, VmDiskEntity from, VirtualDiskEntity virtualDisk) {
        this.uuid = UUID.randomUUID();
        this.vm = vm;
        this.position = from.position;
        this.deviceId = from.deviceId;
        this.virtualDisk = virtualDisk;
        this.path = virtualDisk == null ? from.path : null;
        this.format = from.format;
        this.bootIndex = from.bootIndex;
        this.readOnly = from.readOnly;
        this.bus = from.bus;
    }

    Vm.Disk view() {
        return new Vm.Disk(deviceId, path, virtualDisk == null ? null : virtualDisk.getUuid(), format, bootIndex, readOnly, bus);
    }

    /**
     * What a host receives: an image path as a file node, a virtual disk as the {@code atoll-vdi}
     * reference the host resolves through its repository's adapter when QEMU starts (the format
     * given is a placeholder: the adapter's attachment says the real one).
     */
    DiskSpec spec() {
        if (virtualDisk != null) {
            return new DiskSpec(deviceId, "raw", Map.of("driver", DiskSpec.VDI_DRIVER, "sr", virtualDisk.getRepository().getUuid().toString(),
                    "vdi", virtualDisk.getLocation()), Map.of(), readOnly, bus, bootIndex);
        }
        return new DiskSpec(deviceId, format, Map.of("driver", "file", "filename", path), Map.of(), readOnly, bus, bootIndex);
    }

    /** The disk now lives on another virtual disk (after a storage migration). */
    void moveTo(VirtualDiskEntity other) {
        this.virtualDisk = other;
        this.path = null;
    }

    public VirtualDiskEntity getVirtualDisk() {
        return virtualDisk;
    }

    public String getDeviceId() {
        return deviceId;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    public UUID getUuid() {
        return uuid;
    }

    int getPosition() {
        return position;
    }
}
