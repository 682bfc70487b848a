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
 */
public record VmInfo(UUID uuid, String name, VmPowerState powerState, Long pid, String accelerator,
                     Instant startedAt, String currentOperation, String crashReason, List<String> qemuLogTail,
                     VmSpec spec) {
}
