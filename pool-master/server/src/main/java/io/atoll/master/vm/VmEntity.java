package io.atoll.master.vm;

import io.atoll.master.host.HostEntity;
import io.atoll.master.storage.VirtualDiskEntity;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import jakarta.persistence.CascadeType;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.BatchSize;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A VM of the pool. The pool database owns its spec; a host holds a copy only while the VM is
 * resident there. {@code currentOperation} is the per-VM operation lock: set with the task in the
 * transaction that accepts an operation, cleared in the one that records its outcome.
 */
@Entity
@Table(name = "vm")
public class VmEntity {
    @Id
    private UUID uuid;
    private String name;
    private int vcpus;
    @Column(name = "memory_mib")
    private long memoryMiB;
    private String bootKernel;
    private String bootInitrd;
    private String bootCmdline;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private Accelerator accelerator;
    private String machine;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private VmPowerState powerState;
    /** Where it runs, is suspended or crashed; null when halted. */
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "resident_on")
    private HostEntity residentOn;
    /** The host a start in progress has placed it on: counted against that host's memory, and blocks its eject. */
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "scheduled_on")
    private HostEntity scheduledOn;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private VmOperation currentOperation;
    private UUID currentTask;
    /** A second host found running this VM while it is recorded on {@code residentOn} (see Reconciler); null normally. */
    private UUID alsoRunningOn;
    private Instant createdAt;
    /** A VM, a template (cloned, never started) or a snapshot of a VM (cloned or reverted to). */
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private VmKind kind = VmKind.VM;
    /** For a snapshot: the VM it was taken of (cleared when that VM is destroyed). */
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "snapshot_of")
    private VmEntity snapshotOf;
    private Instant snapshotAt;
    @OneToMany(mappedBy = "vm", cascade = CascadeType.ALL, orphanRemoval = true)
    @OrderBy("position")
    @BatchSize(size = 100)
    private List<VmDiskEntity> disks = new ArrayList<>();
    @OneToMany(mappedBy = "vm", cascade = CascadeType.ALL, orphanRemoval = true)
    @OrderBy("position")
    @BatchSize(size = 100)
    private List<VifEntity> nics = new ArrayList<>();
    @Version
    private long version;

    protected VmEntity() {
    }

    VmEntity(VmSpec spec, Map<String, VirtualDiskEntity> virtualDisks) {
        this(spec, virtualDisks, Map.of());
    }

    /** {@code networks}: the pool networks of the spec's NETWORK NICs, by uuid. */
    VmEntity(VmSpec spec, Map<String, VirtualDiskEntity> virtualDisks, Map<UUID, io.atoll.master.network.NetworkEntity> networks) {
        this.uuid = spec.uuid();
        this.name = spec.name();
        this.vcpus = spec.vcpus();
        this.memoryMiB = spec.memoryMiB();
        if (spec.boot() != null) {
            this.bootKernel = spec.boot().kernel();
            this.bootInitrd = spec.boot().initrd();
            this.bootCmdline = spec.boot().cmdline();
        }
        this.accelerator = spec.accelerator();
        this.machine = spec.machine();
        this.powerState = VmPowerState.HALTED;
        this.createdAt = Instant.now();
        for (int i = 0; i < spec.disks().size(); i++) {
            disks.add(new VmDiskEntity(this, i, spec.disks().get(i), virtualDisks.get(spec.disks().get(i).id())));
        }
        for (int i = 0; i < spec.nics().size(); i++) {
            io.atoll.node.api.NicSpec nic = spec.nics().get(i);
            nics.add(new VifEntity(this, i, nic, nic.network() == null ? null : networks.get(nic.network())));
        }
    }

    /**
     * A copy of {@code from} (halted): a snapshot of it (same MACs), or a clone / a VM from a
     * template (MACs of its own). {@code virtualDisks} maps each disk's device id to its new
     * virtual disk; disks not in it stay on the same virtual disk or image (read-only ones).
     */
    VmEntity(VmEntity from, String name, VmKind kind, Map<String, VirtualDiskEntity> virtualDisks) {
        this.uuid = UUID.randomUUID();
        this.name = name;
        this.vcpus = from.vcpus;
        this.memoryMiB = from.memoryMiB;
        this.bootKernel = from.bootKernel;
        this.bootInitrd = from.bootInitrd;
        this.bootCmdline = from.bootCmdline;
        this.accelerator = from.accelerator;
        this.machine = from.machine;
        this.powerState = VmPowerState.HALTED;
        this.createdAt = Instant.now();
        this.kind = kind;
        if (kind == VmKind.SNAPSHOT) {
            this.snapshotOf = from;
            this.snapshotAt = createdAt;
        }
        for (VmDiskEntity d : from.disks) {
            VirtualDiskEntity vdi = virtualDisks.getOrDefault(d.getDeviceId(), d.getVirtualDisk());
            disks.add(new VmDiskEntity(this, d, vdi));
        }
        for (VifEntity n : from.nics) {
            nics.add(new VifEntity(this, n, kind == VmKind.SNAPSHOT));
        }
    }

    /** Takes the hardware of {@code snapshot} (a revert: the disks were reverted on the storage). */
    void configurationFrom(VmEntity snapshot) {
        this.vcpus = snapshot.vcpus;
        this.memoryMiB = snapshot.memoryMiB;
        this.bootKernel = snapshot.bootKernel;
        this.bootInitrd = snapshot.bootInitrd;
        this.bootCmdline = snapshot.bootCmdline;
        this.accelerator = snapshot.accelerator;
        this.machine = snapshot.machine;
    }

    void convertToTemplate() {
        this.kind = VmKind.TEMPLATE;
    }

    void forgetSnapshotOf() {
        this.snapshotOf = null;
    }

    /** What a host receives to run this VM. */
    VmSpec spec() {
        BootSpec boot = bootKernel == null ? null : new BootSpec(bootKernel, bootInitrd, bootCmdline);
        return new VmSpec(uuid, name, vcpus, memoryMiB, boot, disks.stream().map(VmDiskEntity::spec).toList(),
                nics.stream().map(VifEntity::spec).toList(), accelerator, machine);
    }

    public Vm view() {
        BootSpec boot = bootKernel == null ? null : new BootSpec(bootKernel, bootInitrd, bootCmdline);
        Vm.CurrentOperation current = currentOperation == null ? null : new Vm.CurrentOperation(currentOperation, currentTask);
        return new Vm(uuid, name, kind, vcpus, memoryMiB, boot, accelerator, machine, disks.stream().map(VmDiskEntity::view).toList(),
                nics.stream().map(VifEntity::view).toList(), powerState, residentOn == null ? null : residentOn.getUuid(),
                residentOn == null ? null : residentOn.getHealth(), alsoRunningOn, current,
                VmOperation.allowed(kind, powerState, currentOperation), snapshotOf == null ? null : snapshotOf.getUuid(), snapshotAt,
                createdAt);
    }

    void lock(VmOperation operation, UUID task) {
        currentOperation = operation;
        currentTask = task;
    }

    /** Releases the lock if {@code task} holds it; a stale worker cannot release a newer task's lock. */
    void unlock(UUID task) {
        if (task.equals(currentTask)) {
            currentOperation = null;
            currentTask = null;
        }
    }

    void scheduleOn(HostEntity host) {
        scheduledOn = host;
    }

    /** The VM now has {@code state} on {@code host}; HALTED leaves it resident nowhere. */
    void placed(HostEntity host, VmPowerState state) {
        powerState = state;
        residentOn = state == VmPowerState.HALTED ? null : host;
        scheduledOn = null;
    }

    /** Reconciliation's finding that {@code host} runs this VM too (null: no second copy known). */
    void alsoRunningOn(UUID host) {
        alsoRunningOn = host;
    }

    public UUID getAlsoRunningOn() {
        return alsoRunningOn;
    }

    public UUID getUuid() {
        return uuid;
    }

    public String getName() {
        return name;
    }

    public VmKind getKind() {
        return kind;
    }

    public VmEntity getSnapshotOf() {
        return snapshotOf;
    }

    public List<VifEntity> getNics() {
        return nics;
    }

    /** A VIF plugged in (hot, or into a halted VM): after the others. */
    void addNic(io.atoll.node.api.NicSpec nic, io.atoll.master.network.NetworkEntity network) {
        int position = nics.stream().mapToInt(VifEntity::getPosition).max().orElse(-1) + 1;
        nics.add(new VifEntity(this, position, nic, network));
    }

    /** A VIF unplugged. */
    void removeNic(String deviceId) {
        nics.removeIf(n -> n.getDeviceId().equals(deviceId));
    }

    public List<VmDiskEntity> getDisks() {
        return disks;
    }

    public long getMemoryMiB() {
        return memoryMiB;
    }

    public VmPowerState getPowerState() {
        return powerState;
    }

    public HostEntity getResidentOn() {
        return residentOn;
    }

    public VmOperation getCurrentOperation() {
        return currentOperation;
    }

    public UUID getCurrentTask() {
        return currentTask;
    }

    public long getVersion() {
        return version;
    }

    public String label() {
        return (kind == VmKind.VM ? "vm " : kind == VmKind.TEMPLATE ? "template " : "snapshot ") + uuid + " (" + name + ")";
    }
}
