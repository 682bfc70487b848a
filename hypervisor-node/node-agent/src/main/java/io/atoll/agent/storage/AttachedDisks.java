package io.atoll.agent.storage;

import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.VmSpec;
import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.QemuSecret;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.vm.DiskResolver;
import io.atoll.vm.NodeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The disks of this host's storage repositories that running VMs hold (XAPI's plugged VBDs), and
 * the {@link DiskResolver} through which the VM runtime attaches them.
 *
 * <p>A VM disk whose source is {@code {"driver":"atoll-vdi","sr":…,"vdi":…}} is attached through its
 * repository's adapter when its QEMU starts ({@code READ_ONLY} or {@code READ_WRITE} as the disk
 * says), QEMU opens what the adapter answered, and the disk is detached once that QEMU has ended.
 * Several VMs of this host may hold a disk read-only; read-write, one VM holds it alone. The adapter
 * attaches per host, so a disk is detached only when the last VM here holding it lets go.
 */
public final class AttachedDisks implements DiskResolver {
    private static final Logger LOG = Logger.getLogger(AttachedDisks.class);

    /** A disk of a repository held by a running VM of this host. */
    public record Holder(UUID vm, String vmLabel, String diskId, String sr, String vdi, boolean readOnly) {
        boolean sameVdi(String otherSr, String otherVdi) {
            return sr.equals(otherSr) && vdi.equals(otherVdi);
        }
    }

    private final StorageRepositories srs;
    private final List<Holder> holders = new ArrayList<>();
    /** Each running VM's holds, as its lease releases them (a disk move swaps one). Guarded by {@code this}. */
    private final Map<UUID, List<Holder>> leases = new java.util.HashMap<>();

    public AttachedDisks(StorageRepositories srs) {
        this.srs = srs;
    }

    // ---------------------------------------------------------------- queries

    /** The running VMs' disks in a repository. */
    public synchronized List<Holder> holders(String sr) {
        return holders.stream().filter(h -> h.sr().equals(sr)).toList();
    }

    /** The running VM holding a disk here, the writer first. */
    public synchronized Optional<Holder> holder(String sr, String vdi) {
        return holders.stream().filter(h -> h.sameVdi(sr, vdi)).min((a, b) -> Boolean.compare(a.readOnly(), b.readOnly()));
    }

    // ---------------------------------------------------------------- DiskResolver

    @Override
    public Lease attach(VmSpec spec, String label) {
        return attach(spec, label, false);
    }

    /** A VM migrating in takes its read-write disks over from the source host, which holds them until the switch-over. */
    @Override
    public Lease attachIncoming(VmSpec spec, String label) {
        return attach(spec, label, true);
    }

    private Lease attach(VmSpec spec, String label, boolean incoming) {
        List<DiskSpec> resolved = new ArrayList<>();
        List<Holder> mine = new ArrayList<>();
        try {
            for (DiskSpec disk : spec.disks()) {
                if (!isVdi(disk)) {
                    resolved.add(disk);
                    continue;
                }
                Holder h = holderOf(spec, label, disk);
                StorageRepository repository = repository(h, label);
                claim(h);
                mine.add(h);
                DiskAttachment attachment;
                try {
                    attachment = h.readOnly() ? repository.attach(h.vdi(), AccessMode.READ_ONLY)
                            : incoming ? repository.attachForIncomingMigration(h.vdi()) : repository.attach(h.vdi(), AccessMode.READ_WRITE);
                } catch (StorageException e) {
                    throw new NodeException(StorageErrors.code(e), "disk " + disk.id(), label + ": disk " + disk.id() + " ("
                            + h.vdi() + " in " + srs.label(h.sr()) + ") cannot be attached: " + e.getMessage(), e);
                }
                resolved.add(resolve(disk, attachment, label));
            }
        } catch (RuntimeException e) {
            release(mine);
            throw e;
        }
        if (!mine.isEmpty()) {
            LOG.infof("%s: attached %d repository disk(s): %s", label, mine.size(), mine.stream().map(h -> h.diskId() + "=" + h.vdi()).toList());
        }
        VmSpec out = new VmSpec(spec.uuid(), spec.name(), spec.vcpus(), spec.memoryMiB(), spec.boot(), resolved, spec.nics(),
                spec.accelerator(), spec.machine());
        return lease(out, mine);
    }

    /** Records what the adopted QEMU holds, whatever the adapters say, and re-attaches (idempotent for them). */
    @Override
    public Lease adopt(VmSpec spec, String label) {
        List<Holder> mine = new ArrayList<>();
        for (DiskSpec disk : spec.disks()) {
            if (!isVdi(disk)) {
                continue;
            }
            try {
                Holder h = holderOf(spec, label, disk);
                synchronized (this) {
                    holders.add(h);
                }
                mine.add(h);
                repository(h, label).attach(h.vdi(), h.readOnly() ? AccessMode.READ_ONLY : AccessMode.READ_WRITE);
            } catch (NodeException | StorageException e) {
                LOG.errorf("%s: its running qemu has disk %s open, but it could not be attached again: %s",
                        label, disk.id(), e.getMessage());
            }
        }
        if (!mine.isEmpty()) {
            LOG.infof("%s: holds %d repository disk(s) again after the restart", label, mine.size());
        }
        return lease(spec, mine);
    }

    @Override
    public void ended(VmSpec spec, String label) {
        Set<Holder> gone = new LinkedHashSet<>();
        for (DiskSpec disk : spec.disks()) {
            if (isVdi(disk)) {
                try {
                    gone.add(holderOf(spec, label, disk));
                } catch (NodeException ignored) {
                    // a malformed reference was never attached
                }
            }
        }
        detachUnheld(gone);
    }

    // ---------------------------------------------------------------- how

    private static boolean isVdi(DiskSpec disk) {
        return DiskSpec.VDI_DRIVER.equals(disk.source().get("driver"));
    }

    private static Holder holderOf(VmSpec spec, String label, DiskSpec disk) {
        return new Holder(spec.uuid(), label, disk.id(), reference(label, disk, "sr"), reference(label, disk, "vdi"), disk.readOnly());
    }

    private static String reference(String label, DiskSpec disk, String key) {
        Object v = disk.source().get(key);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new NodeException(NodeErrorCode.INVALID_SPEC, "disk " + disk.id(), label + ": disk " + disk.id()
                    + " names no '" + key + "': an atoll-vdi source is {\"driver\":\"atoll-vdi\",\"sr\":\"SR-UUID\",\"vdi\":\"DISK-ID\"}");
        }
        return s;
    }

    private StorageRepository repository(Holder h, String label) {
        try {
            return srs.repository(h.sr());
        } catch (NodeException e) {
            throw new NodeException(NodeErrorCode.SR_NOT_ATTACHED, "disk " + h.diskId(), label + ": disk " + h.diskId()
                    + " is in storage repository " + h.sr() + ", which is not attached on this host: " + e.getMessage());
        }
    }

    /** Takes the disk for a VM unless another VM here holds it in a conflicting mode. */
    private synchronized void claim(Holder h) {
        for (Holder other : holders) {
            if (other.sameVdi(h.sr(), h.vdi()) && !other.vm().equals(h.vm()) && !(other.readOnly() && h.readOnly())) {
                throw new NodeException(NodeErrorCode.STORAGE_IN_USE, "disk " + h.diskId(), h.vmLabel() + ": disk " + h.diskId()
                        + " (" + h.vdi() + ") is held " + (other.readOnly() ? "read-only" : "read-write") + " by " + other.vmLabel()
                        + " (its disk " + other.diskId() + "): a disk is written by one VM at a time; stop that VM or attach both read-only");
            }
        }
        holders.add(h);
    }

    private static DiskSpec resolve(DiskSpec disk, DiskAttachment a, String label) {
        Map<String, String> secrets = new LinkedHashMap<>();
        for (QemuSecret s : a.secrets()) {
            secrets.put(s.id(), s.value());
        }
        try {
            return new DiskSpec(disk.id(), a.format(), a.protocol(), a.formatOptions(), disk.readOnly() || a.readOnly(), disk.bus(),
                    disk.bootIndex(), secrets);
        } catch (IllegalArgumentException e) {
            throw new NodeException(NodeErrorCode.STORAGE_BACKEND_FAILED, "disk " + disk.id(), label + ": disk " + disk.id()
                    + ": the storage adapter answered an attachment QEMU cannot open: " + e.getMessage(), e);
        }
    }

    private Lease lease(VmSpec spec, List<Holder> mine) {
        List<Holder> held = new ArrayList<>(mine);
        synchronized (this) {
            leases.put(spec.uuid(), held);
        }
        return Lease.of(spec, () -> {
            List<Holder> now;
            synchronized (this) {
                leases.remove(spec.uuid(), held);
                now = List.copyOf(held);
            }
            release(now);
        });
    }

    /** Lets go of a VM's holds; disks no other VM here holds are detached. Never throws. */
    private void release(List<Holder> mine) {
        synchronized (this) {
            for (Holder h : mine) {
                holders.remove(h);
            }
        }
        detachUnheld(new LinkedHashSet<>(mine));
    }

    // ---------------------------------------------------------------- live disk move

    /**
     * Attaches {@code target} read-write for the running VM that holds {@code disk}, to take its
     * place: the disk must be a read-write repository disk, the target another disk of an attached
     * repository, of the same virtual size, that no VM here holds.
     */
    @Override
    public Replacement replace(VmSpec spec, DiskSpec disk, Map<String, Object> target, String label) {
        if (!isVdi(disk)) {
            throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, "disk " + disk.id(), label + ": disk " + disk.id()
                    + " is not a storage repository disk (its source is '" + disk.source().get("driver")
                    + "'): only atoll-vdi disks move between repositories");
        }
        if (disk.readOnly()) {
            throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, "disk " + disk.id(), label + ": disk " + disk.id()
                    + " is read-only: only disks the VM writes are moved");
        }
        Holder old = holderOf(spec, label, disk);
        DiskSpec reference;
        try {
            Map<String, Object> source = new LinkedHashMap<>(target);
            source.put("driver", DiskSpec.VDI_DRIVER);
            reference = new DiskSpec(disk.id(), disk.format(), source, Map.of(), false, disk.bus(), disk.bootIndex(), Map.of());
        } catch (IllegalArgumentException e) {
            throw new NodeException(NodeErrorCode.INVALID_REQUEST, "disk " + disk.id(), label + ": " + e.getMessage(), e);
        }
        Holder h = holderOf(spec, label, reference);
        if (h.sameVdi(old.sr(), old.vdi())) {
            throw new NodeException(NodeErrorCode.INVALID_REQUEST, "disk " + disk.id(), label + ": disk " + disk.id()
                    + " already is " + h.vdi() + " in " + srs.label(h.sr()) + ": name another disk to move it to");
        }
        StorageRepository from = repository(old, label);
        StorageRepository to = repository(h, label);
        long size;
        long targetSize;
        try {
            size = from.disk(old.vdi()).virtualSize();
            io.atoll.storage.spi.VirtualDiskInfo t = to.disk(h.vdi());
            if (t.isSnapshot() || t.readOnly()) {
                throw new NodeException(NodeErrorCode.STORAGE_INVALID_ARGUMENT, "disk " + h.vdi(), label + ": " + h.vdi() + " in "
                        + srs.label(h.sr()) + " is a read-only snapshot: move the disk to a writable disk");
            }
            targetSize = t.virtualSize();
        } catch (StorageException e) {
            throw new NodeException(StorageErrors.code(e), "disk " + h.vdi(), label + ": cannot move disk " + disk.id() + " to "
                    + h.vdi() + " in " + srs.label(h.sr()) + ": " + e.getMessage(), e);
        }
        if (targetSize != size) {
            throw new NodeException(NodeErrorCode.STORAGE_INVALID_ARGUMENT, "disk " + h.vdi(), label + ": disk " + disk.id() + " is "
                    + size + " bytes but " + h.vdi() + " in " + srs.label(h.sr()) + " is " + targetSize + " bytes ("
                    + (targetSize < size ? "too small" : "larger") + "): create the target disk with virtualSize " + size);
        }
        claim(h);
        DiskAttachment attachment;
        try {
            attachment = to.attach(h.vdi(), AccessMode.READ_WRITE);
        } catch (StorageException e) {
            release(List.of(h));
            throw new NodeException(StorageErrors.code(e), "disk " + h.vdi(), label + ": " + h.vdi() + " in " + srs.label(h.sr())
                    + " cannot be attached: " + e.getMessage(), e);
        }
        DiskSpec resolved;
        try {
            resolved = resolve(reference, attachment, label);
        } catch (NodeException e) {
            release(List.of(h));
            throw e;
        }
        LOG.infof("%s: attached %s in %s to take the place of disk %s (%s)", label, h.vdi(), srs.label(h.sr()), disk.id(), old.vdi());
        return new Replacement() {
            @Override
            public DiskSpec resolved() {
                return resolved;
            }

            @Override
            public DiskSpec reference() {
                return reference;
            }

            @Override
            public void commit() {
                synchronized (AttachedDisks.this) {
                    holders.remove(old);
                    List<Holder> held = leases.get(spec.uuid());
                    if (held != null) {
                        held.remove(old);
                        held.add(h);
                    } else {
                        holders.remove(h); // its QEMU ended meanwhile: nothing holds the new disk either
                    }
                }
                detachUnheld(new LinkedHashSet<>(List.of(old, h)));
                LOG.infof("%s: disk %s is now %s in %s; %s detached", label, disk.id(), h.vdi(), srs.label(h.sr()), old.vdi());
            }

            @Override
            public void abort() {
                release(List.of(h));
            }
        };
    }

    private void detachUnheld(Set<Holder> candidates) {
        Set<String> done = new LinkedHashSet<>();
        for (Holder h : candidates) {
            if (!done.add(h.sr() + "/" + h.vdi()) || holder(h.sr(), h.vdi()).isPresent()) {
                continue;
            }
            try {
                srs.repository(h.sr()).detach(h.vdi());
                LOG.debugf("%s: disk %s (%s) detached", h.vmLabel(), h.diskId(), h.vdi());
            } catch (NodeException | StorageException e) {
                LOG.warnf("%s: disk %s (%s in %s) could not be detached: %s", h.vmLabel(), h.diskId(), h.vdi(),
                        srs.label(h.sr()), e.getMessage());
            }
        }
    }
}
