package io.atoll.master.event;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What happened to the object: created, modified, deleted (XAPI's {@code add}/{@code mod}/{@code del}). */
public enum EventOperation {
    ADD, MOD, DEL;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
