package io.atoll.master.ha;

import io.atoll.master.event.ObjectClass;
import java.time.Instant;
import java.util.UUID;

/**
 * Something an administrator should look at: every HA decision raises one (a host suspected, declared
 * dead, fenced; a VM restarted elsewhere or not; the plan no longer covering the failures to tolerate).
 *
 * @param uuid        its id
 * @param created     when
 * @param severity    {@code info}, {@code warning} or {@code error}
 * @param code        a stable code, e.g. {@code HA_HOST_DEAD}
 * @param objectClass the class of the object concerned, or null
 * @param objectUuid  the object, or null
 * @param message     what happened and what to do
 */
public record Alert(UUID uuid, Instant created, String severity, String code, ObjectClass objectClass, UUID objectUuid, String message) {
}
