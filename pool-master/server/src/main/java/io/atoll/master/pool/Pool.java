package io.atoll.master.pool;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * The pool, as clients see it.
 *
 * @param uuid the pool's id
 * @param name its name
 * @param description free text
 * @param created when the master first started on this database
 */
public record Pool(UUID uuid, String name, String description, Instant created) {
    public Pool {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
    }
}
