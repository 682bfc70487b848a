package io.atoll.master.ha;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * A VM's HA restart priority, as XenServer's: {@code restart} VMs are restarted elsewhere when their
 * host dies and are counted by the host-failures-to-tolerate plan; {@code best-effort} VMs are
 * restarted after them when room is left; {@code none} are not restarted.
 */
public enum RestartPriority {
    RESTART, BEST_EFFORT, NONE;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @JsonCreator
    public static RestartPriority fromWire(String name) {
        for (RestartPriority p : values()) {
            if (p.wireName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("restart priority '" + name + "' is not one of restart, best-effort, none");
    }

    /** Whether a self-fence stops the VM and the master restarts it elsewhere. */
    public boolean isProtected() {
        return this != NONE;
    }
}
