package io.atoll.master.event;

import io.atoll.master.error.Params;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool's changes, for clients that keep a view of the pool up to date. */
@Path("/api/v1/events")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "events")
@RolesAllowed({"read-only", "vm-operator", "vm-admin", "vm-power-admin", "pool-operator", "pool-admin"})
public class EventResource {

    @Inject
    EventService events;

    @GET
    @Operation(summary = "Events after a token (long poll)", description = "Without 'from': no events and the current token, the point to "
            + "follow from. With 'from': the events with a greater id, waiting up to 'timeout' seconds (default 0) for the first. Pass "
            + "the answer's token as the next 'from'.")
    public EventBatch from(@QueryParam("from") String from, @QueryParam("timeout") String timeout, @QueryParam("limit") String limit) {
        long limitValue = Params.longOr("limit", limit, 1000);
        return events.from(Params.optionalLong("from", from), Duration.ofSeconds(Params.longOr("timeout", timeout, 0)),
                (int) Math.max(Math.min(limitValue, Integer.MAX_VALUE), Integer.MIN_VALUE));
    }
}
