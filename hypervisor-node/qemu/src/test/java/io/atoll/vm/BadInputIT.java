package io.atoll.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.atoll.host.HostProbe;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input gets a clear error naming the object and the fix, and leaves nothing behind: no VM
 * record, no QEMU process, no runtime directory.
 */
class BadInputIT {
    private static TestHost host;

    @BeforeAll
    static void host() throws Exception {
        host = new TestHost();
    }

    @AfterAll
    static void cleanUp() {
        host.close();
    }

    private static void assertRefused(ThrowingCallable call, NodeErrorCode code, String... messageParts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(NodeException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(messageParts);
        });
    }

    private static void assertNothingRuns() throws Exception {
        assertThat(host.qemuProcesses()).isEmpty();
        try (var runDirs = Files.list(host.config.runDir())) {
            assertThat(runDirs.toList()).isEmpty();
        }
    }

    @Test
    void zeroVcpusIsRefusedByTheSpecItself() {
        assertThatThrownBy(() -> new VmSpec(null, "zero", 0, 64, null, null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vm zero: vcpus is 0: set it between 1 and 255");
    }

    @Test
    void memoryBeyondTheHostIsRefusedAtCreateAndBeyondFreeMemoryAtStart() throws Exception {
        VmSpec huge = host.counterSpec("huge");
        VmSpec tooBig = new VmSpec(huge.uuid(), huge.name(), 1, 64L * 1024 * 1024, null, huge.disks(), List.of(), null, null);
        assertRefused(() -> host.manager.create(tooBig), NodeErrorCode.INSUFFICIENT_MEMORY, "vm huge asks for", "give it less memory");
        assertThat(host.manager.list()).noneMatch(v -> v.name().equals("huge"));
        assertThat(host.config.stateDir().resolve(huge.uuid().toString())).doesNotExist();

        // Fits the host on paper, but more than is free now.
        long total = new HostProbe().memory().total() / (1024 * 1024);
        VmSpec big = new VmSpec(null, "big", 1, total - host.config.hostMemoryReserveMiB(), null, huge.disks(), List.of(), null, null);
        host.manager.create(big);
        assertRefused(() -> host.manager.start(big.uuid()), NodeErrorCode.INSUFFICIENT_MEMORY, "MiB free for VMs", "give the VM less memory");
        assertThat(host.manager.get(big.uuid()).powerState()).isEqualTo(VmPowerState.HALTED);
        assertNothingRuns();
        host.manager.destroy(big.uuid());
    }

    @Test
    void aMissingDiskFileIsNamedAtCreateAndAtStart() throws Exception {
        Path missing = host.root.resolve("no-such-disk.qcow2");
        VmSpec spec = new VmSpec(null, "nodisk", 1, 32, null, List.of(DiskSpec.file("disk0", missing.toString(), "qcow2", 0)),
                List.of(), null, null);
        assertRefused(() -> host.manager.create(spec), NodeErrorCode.DISK_NOT_FOUND, "disk disk0 refers to " + missing, "does not exist");

        VmSpec later = host.counterSpec("disk-vanishes");
        host.manager.create(later);
        Files.delete(Path.of(later.disks().get(0).localPath()));
        assertRefused(() -> host.manager.start(later.uuid()), NodeErrorCode.DISK_NOT_FOUND, "disk0", "create the disk or fix its path");
        assertThat(host.manager.get(later.uuid()).powerState()).isEqualTo(VmPowerState.HALTED);
        assertNothingRuns();
        host.manager.destroy(later.uuid());
    }

    @Test
    void duplicateNamesAndUuidsAreRefused() throws Exception {
        VmSpec first = host.counterSpec("twin");
        host.manager.create(first);
        VmSpec sameName = host.counterSpec("twin-2").withIdentity(UUID.randomUUID(), "twin");
        assertRefused(() -> host.manager.create(sameName), NodeErrorCode.VM_NAME_TAKEN, "a VM named 'twin' already exists", "choose another name");
        VmSpec sameUuid = first.withIdentity(first.uuid(), "other-name");
        assertRefused(() -> host.manager.create(sameUuid), NodeErrorCode.VM_ALREADY_EXISTS, first.uuid() + " already exists");
        assertThat(host.manager.list()).filteredOn(v -> v.name().startsWith("twin") || v.name().equals("other-name")).hasSize(1);
        host.manager.destroy(first.uuid());
    }

    @Test
    void operationsTheStateForbidsAreRefusedWithTheState() throws Exception {
        VmSpec spec = host.counterSpec("halted");
        host.manager.create(spec);
        assertRefused(() -> host.manager.pause(spec.uuid()), NodeErrorCode.OPERATION_NOT_ALLOWED,
                "is halted: 'pause' needs a VM that is running");
        assertRefused(() -> host.manager.resume(spec.uuid()), NodeErrorCode.OPERATION_NOT_ALLOWED, "'resume' needs a VM that is suspended");
        assertRefused(() -> host.manager.unpause(spec.uuid()), NodeErrorCode.OPERATION_NOT_ALLOWED, "'unpause' needs a VM that is paused");
        assertRefused(() -> host.manager.get(UUID.randomUUID()), NodeErrorCode.VM_NOT_FOUND, "is not on this host");
        host.manager.destroy(spec.uuid());
    }

    @Test
    void qemuRefusingToStartReportsItsOwnMessageAndLeavesNothing() throws Exception {
        // Not a qcow2 image, though the spec says it is: QEMU refuses to open it.
        Path garbage = host.root.resolve("garbage.qcow2");
        Files.writeString(garbage, "this is not a disk image\n".repeat(100));
        VmSpec spec = new VmSpec(null, "refused", 1, 32, null, List.of(DiskSpec.file("disk0", garbage.toString(), "qcow2", 0)),
                List.of(), null, null);
        host.manager.create(spec);
        assertRefused(() -> host.manager.start(spec.uuid()), NodeErrorCode.QEMU_START_FAILED, "QEMU refused to start", "qcow2");
        assertThat(host.manager.get(spec.uuid()).powerState()).isEqualTo(VmPowerState.HALTED);
        assertNothingRuns();
        host.manager.destroy(spec.uuid());
    }

    @Test
    void kvmOnAHostWhereItIsUnusableIsRefusedWithTheReason() throws Exception {
        var kvm = new HostProbe().kvm();
        assumeThat(kvm.usable()).as("this host's KVM is usable, so the refusal cannot be shown here").isFalse();
        VmSpec base = host.counterSpec("kvm");
        VmSpec spec = new VmSpec(base.uuid(), base.name(), 1, 32, null, base.disks(), List.of(), Accelerator.KVM, null);
        assertRefused(() -> host.manager.create(spec), NodeErrorCode.ACCELERATOR_UNAVAILABLE, kvm.reason(), "set its accelerator to auto or tcg");
        assertThat(new HostProbe().resolve(Accelerator.AUTO)).isEqualTo(Accelerator.TCG);
    }
}
