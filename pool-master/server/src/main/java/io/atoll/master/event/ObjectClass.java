package io.atoll.master.event;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The classes of pool objects whose changes are events (XAPI's event classes, lower case on the wire). */
public enum ObjectClass {
    POOL, HOST, VM, TASK, SR, VDI, NETWORK, ALERT;

    /** The name in events, tasks and error objects: {@code vm}, {@code host}… */
    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ObjectClass fromWire(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
