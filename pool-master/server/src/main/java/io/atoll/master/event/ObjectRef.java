package io.atoll.master.event;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import java.util.UUID;

/**
 * A reference to a pool object: its class and uuid ({@code {"class": "vm", "uuid": "…"}}).
 *
 * @param objectClass the object's class
 * @param uuid the object's uuid
 */
public record ObjectRef(@JsonProperty("class") ObjectClass objectClass, UUID uuid) {
    public ObjectRef {
        Objects.requireNonNull(objectClass, "objectClass");
        Objects.requireNonNull(uuid, "uuid");
    }

    public static ObjectRef vm(UUID uuid) {
        return new ObjectRef(ObjectClass.VM, uuid);
    }

    public static ObjectRef sr(UUID uuid) {
        return new ObjectRef(ObjectClass.SR, uuid);
    }

    public static ObjectRef host(UUID uuid) {
        return new ObjectRef(ObjectClass.HOST, uuid);
    }

    /** How log lines and error objects name it: {@code vm 3f2a…}. */
    @Override
    public String toString() {
        return objectClass.wireName() + " " + uuid;
    }
}
