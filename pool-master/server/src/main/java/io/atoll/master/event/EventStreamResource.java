package io.atoll.master.event;

import io.atoll.master.error.Params;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool's changes as a Server-Sent Events stream: the long poll of {@link EventResource} without the polling. */
@Path("/api/v1/events/stream")
@Tag(name = "events")
@RolesAllowed({"read-only", "vm-operator", "vm-admin", "vm-power-admin", "pool-operator", "pool-admin"})
public class EventStreamResource {

    @Inject
    EventService events;

    @Inject
    EventStreams streams;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Events after a token, then each new one (Server-Sent Events)", description = "Each SSE event is named 'event', "
            + "its 'id' is the event's token and its data the event as JSON (as in GET /api/v1/events). Without 'from' (and without a "
            + "Last-Event-ID header, which a reconnecting EventSource sends and which wins over 'from'): the events from now on. Comment "
            + "lines keep an idle stream open.")
    public void stream(@QueryParam("from") String from, @HeaderParam("Last-Event-ID") String lastEventId, @Context SseEventSink sink,
            @Context Sse sse) {
        Long token = lastEventId != null && !lastEventId.isBlank() ? Params.optionalLong("Last-Event-ID", lastEventId.trim())
                : Params.optionalLong("from", from);
        streams.start(events.startingPoint(token), sink, sse);
    }
}
