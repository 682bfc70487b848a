package io.atoll.master.pool;

import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool this master runs. */
@Path("/api/v1/pool")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "pool")
public class PoolResource {

    @Inject
    PoolService pools;

    @GET
    public Pool get() {
        return pools.get();
    }
}
