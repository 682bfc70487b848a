package io.atoll.vm;

import io.atoll.node.api.VmPowerState;
import io.atoll.node.api.VmSpec;
import java.util.List;

/**
 * What a host persists of a VM ({@code vm.json} in its state directory): enough to tell, after an
 * agent restart, whether a VM should be found running, halted or suspended.
 */
record VmRecord(VmSpec spec, VmPowerState powerState, String crashReason, List<String> qemuLogTail) {
    VmRecord {
        qemuLogTail = qemuLogTail == null ? List.of() : List.copyOf(qemuLogTail);
    }
}
