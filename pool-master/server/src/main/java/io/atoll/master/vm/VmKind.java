package io.atoll.master.vm;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a VM row is (XAPI's is_a_template and is_a_snapshot flags, as one value). */
public enum VmKind {
    /** A VM that can run. */
    VM,
    /** A VM that is never started: new VMs are cloned from it. */
    TEMPLATE,
    /** A VM's disks and hardware at one moment: cloned to a new VM, or the VM reverted to it. */
    SNAPSHOT;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static VmKind fromWire(String name) {
        for (VmKind k : values()) {
            if (k.wireName().equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("kind '" + name + "' is unknown: give vm, template or snapshot");
    }
}
