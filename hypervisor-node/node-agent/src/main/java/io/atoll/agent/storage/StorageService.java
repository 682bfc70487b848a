package io.atoll.agent.storage;

import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.SrAttachRequest;
import io.atoll.node.api.SrState;
import io.atoll.node.api.VdiInfo;
import io.atoll.node.api.VdiRequest;
import io.atoll.storage.spi.CloneMode;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.LiveBlockDevice;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import io.atoll.vm.NodeException;
import io.atoll.vm.VmManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The storage operations of this host: its attached repositories and their disks. Where a VM of
 * this host runs on a disk, a snapshot is taken and a chain merged through that VM's QEMU (its
 * {@link LiveBlockDevice}); reverting or deleting a disk a VM holds is refused with
 * {@code STORAGE_IN_USE} naming the VM, as is detaching a repository one of whose disks a VM holds.
 */
@ApplicationScoped
public class StorageService {

    @Inject
    StorageRepositories srs;

    @Inject
    AttachedDisks attached;

    @Inject
    VmManager vms;

    @Inject
    io.atoll.agent.HostIdentity host;

    // ---------------------------------------------------------------- repositories

    public List<SrState> list() {
        return srs.list();
    }

    public SrState get(String sr) {
        return srs.state(sr);
    }

    public SrState attach(String sr, SrAttachRequest request) {
        return srs.attach(sr, request);
    }

    public void detach(String sr, boolean destroy) {
        List<AttachedDisks.Holder> users = attached.holders(sr);
        if (!users.isEmpty()) {
            AttachedDisks.Holder h = users.get(0);
            throw new NodeException(NodeErrorCode.STORAGE_IN_USE, "sr " + sr, srs.label(sr) + " has disks in use by running VMs here ("
                    + h.vmLabel() + " disk " + h.diskId() + (users.size() > 1 ? " and " + (users.size() - 1) + " more" : "")
                    + "): stop them before detaching it");
        }
        srs.detach(sr, destroy);
    }

    /** Forgets every attachment the (fenced) host holds in the repository; never this host's own. */
    public io.atoll.node.api.ReleasedDisks releaseHost(String sr, io.atoll.node.api.ReleaseHostRequest request) {
        if (request == null || request.host() == null) {
            throw new IllegalArgumentException("the request body must be {\"host\": UUID of the fenced host}");
        }
        if (request.host().equals(host.uuid())) {
            throw new NodeException(NodeErrorCode.OPERATION_NOT_ALLOWED, "host " + request.host(), "host " + request.host()
                    + " is this host: it never breaks its own disk locks; stop its VMs to release its disks, or call release-host "
                    + "on another host once this one is fenced");
        }
        return on(sr, "sr " + sr, r -> new io.atoll.node.api.ReleasedDisks(r.releaseHost(request.host().toString())));
    }

    // ---------------------------------------------------------------- disks

    public List<VdiInfo> disks(String sr) {
        return on(sr, "sr " + sr, r -> r.scan().stream().map(StorageService::wire).toList());
    }

    public VdiInfo disk(String sr, String id) {
        return on(sr, "disk " + id, r -> wire(r.disk(id)));
    }

    public VdiInfo create(String sr, VdiRequest.Create request) {
        require(request, "{\"name\": …, \"virtualSize\": BYTES}");
        return on(sr, "disk " + request.name(), r -> wire(r.createDisk(
                new DiskCreateRequest(request.name(), request.virtualSize(), request.metadata()))));
    }

    /** Deletes a disk or a snapshot; the chain is merged through the VM running on the snapshot's disk, if any. */
    public void delete(String sr, String id) {
        refuseIfHeld(sr, id, "delete");
        on(sr, "disk " + id, r -> {
            VirtualDiskInfo disk = r.disk(id);
            LiveBlockDevice live = disk.isSnapshot() ? live(sr, disk.snapshotOf(), true) : null;
            r.deleteDisk(id, live);
            return null;
        });
    }

    /** A snapshot, taken through the VM that writes the disk when one runs here. */
    public VdiInfo snapshot(String sr, String id, VdiRequest.Snapshot request) {
        require(request, "{\"name\": …}");
        return on(sr, "disk " + id, r -> wire(r.snapshot(id, request.name(), live(sr, id, false))));
    }

    public VdiInfo clone(String sr, String id, VdiRequest.Clone request) {
        require(request, "{\"name\": …, \"mode\": \"LINKED\"|\"FULL\"}");
        CloneMode mode;
        try {
            mode = request.mode() == null ? CloneMode.LINKED : CloneMode.valueOf(request.mode().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("clone mode '" + request.mode() + "' is unknown: use LINKED or FULL");
        }
        return on(sr, "disk " + id, r -> wire(r.clone(id, request.name(), mode)));
    }

    public VdiInfo revert(String sr, String id, VdiRequest.Revert request) {
        require(request, "{\"snapshotId\": …}");
        if (request.snapshotId() == null || request.snapshotId().isBlank()) {
            throw new IllegalArgumentException("disk " + id + ": 'snapshotId' names the snapshot to revert to");
        }
        refuseIfHeld(sr, id, "revert");
        return on(sr, "disk " + id, r -> wire(r.revert(id, request.snapshotId())));
    }

    public VdiInfo resize(String sr, String id, VdiRequest.Resize request) {
        require(request, "{\"virtualSize\": BYTES}");
        return on(sr, "disk " + id, r -> wire(r.resize(id, request.virtualSize())));
    }

    // ---------------------------------------------------------------- how

    private <T> T on(String sr, String object, Function<StorageRepository, T> call) {
        StorageRepository repository = srs.repository(sr);
        try {
            return call.apply(repository);
        } catch (StorageException e) {
            throw StorageErrors.toNode(e, object);
        }
    }

    /** The disk's block device in the VM of this host that holds it (writing, unless any will do), or null. */
    private LiveBlockDevice live(String sr, String vdi, boolean anyMode) {
        Optional<AttachedDisks.Holder> h = attached.holder(sr, vdi).filter(x -> anyMode || !x.readOnly());
        return h.map(x -> vms.liveBlockDevice(x.vm(), x.diskId())).orElse(null);
    }

    private void refuseIfHeld(String sr, String id, String operation) {
        attached.holder(sr, id).ifPresent(h -> {
            throw new NodeException(NodeErrorCode.STORAGE_IN_USE, "disk " + id, "disk " + id + " in " + srs.label(sr) + " is in use by "
                    + h.vmLabel() + " (its disk " + h.diskId() + "): shut that VM down before '" + operation + "'");
        });
    }

    private static void require(Object body, String shape) {
        if (body == null) {
            throw new IllegalArgumentException("the request body must be " + shape);
        }
    }

    static VdiInfo wire(VirtualDiskInfo d) {
        return new VdiInfo(d.id(), d.name(), d.virtualSize(), d.physicalUtilisation(), d.snapshotOf(), d.readOnly(), d.cbtEnabled(),
                d.createdAt(), d.metadata());
    }
}
