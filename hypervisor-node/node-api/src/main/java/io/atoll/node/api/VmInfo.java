package io.atoll.node.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A VM as its host sees it now.
 *
 * @param uuid the VM's uuid
 * @param name its name
 * @param powerState its power state
 * @param pid the QEMU process id while one runs, else {@code null}
 * @param accelerator the accelerator QEMU runs with ({@code kvm}/{@code tcg}) while it runs
 * @param startedAt when QEMU was started, while it runs
 * @param currentOperation the operation in progress on it, or {@code null}
 * @param crashReason why the VM crashed, for {@code CRASHED}
 * @param qemuLogTail the last lines QEMU wrote to its log when it crashed or failed to start
 * @param spec the VM's spec
 * @param addresses the guest's addresses that this host's DHCP services leased to its NICs' MACs
 */
public record VmInfo(UUID uuid, String name, VmPowerState powerState, Long pid, String accelerator,
                     Instant startedAt, String currentOperation, String crashReason, List<String> qemuLogTail,
                     VmSpec spec, List<GuestAddress> addresses) {

    public VmInfo {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
    }

    /** A VM whose addresses are not known (yet). */
    public VmInfo(UUID uuid, String name, VmPowerState powerState, Long pid, String accelerator,
                  Instant startedAt, String currentOperation, String crashReason, List<String> qemuLogTail,
                  VmSpec spec) {
        this(uuid, name, powerState, pid, accelerator, startedAt, currentOperation, crashReason, qemuLogTail, spec, List.of());
    }

    /** This VM with these guest addresses. */
    public VmInfo withAddresses(List<GuestAddress> found) {
        return new VmInfo(uuid, name, powerState, pid, accelerator, startedAt, currentOperation, crashReason, qemuLogTail, spec, found);
    }
}
