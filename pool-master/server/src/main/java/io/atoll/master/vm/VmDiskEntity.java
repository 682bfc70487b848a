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

    VmDiskEntity(VmEntity vm, int position, DiskSpec disk) {
        this.uuid = UUID.randomUUID();
        this.vm = vm;
        this.position = position;
        this.deviceId = disk.id();
        this.path = disk.localPath();
        this.format = disk.format();
        this.bootIndex = disk.bootIndex();
        this.readOnly = disk.readOnly();
        this.bus = disk.bus();
    }

    /** A disk on a virtual disk of a repository (used once repositories have an API). */
    public VmDiskEntity(VmEntity vm, int position, String deviceId, VirtualDiskEntity virtualDisk, Integer bootIndex) {
        this.uuid = UUID.randomUUID();
        this.vm = vm;
        this.position = position;
        this.deviceId = deviceId;
        this.virtualDisk = virtualDisk;
        this.format = virtualDisk.getFormat();
        this.bootIndex = bootIndex;
        this.readOnly = virtualDisk.isReadOnly();
        this.bus = DiskBus.VIRTIO;
    }

    Vm.Disk view() {
        return new Vm.Disk(deviceId, path, virtualDisk == null ? null : virtualDisk.getUuid(), format, bootIndex, readOnly, bus);
    }

    /** What a host receives. A virtual disk's location is resolved by its adapter — not wired yet. */
    DiskSpec spec() {
        if (path == null) {
            throw new IllegalStateException("vm disk " + deviceId + ": disks on storage repositories cannot be started yet");
        }
        return new DiskSpec(deviceId, format, Map.of("driver", "file", "filename", path), Map.of(), readOnly, bus, bootIndex);
    }

    public UUID getUuid() {
        return uuid;
    }

    int getPosition() {
        return position;
    }
}
