package io.atoll.agent;

import io.atoll.node.api.VmEvent;
import io.atoll.vm.VmManager;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * VM events of this host. {@code GET /api/v1/events?from=N} answers the held events after N;
 * {@code GET /api/v1/events/stream?from=N} streams them as Server-Sent Events, first those held
 * after N, then each new one, without duplicates or gaps.
 */
@Path("/api/v1/events")
public class EventResource {

    @Inject
    VmManager manager;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public List<VmEvent> since(@QueryParam("from") @DefaultValue("0") long from) {
        return manager.eventsSince(from);
    }

    @GET
    @Path("/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<VmEvent> stream(@QueryParam("from") @DefaultValue("-1") long from) {
        return Multi.createFrom().emitter(emitter -> {
            AtomicLong last = new AtomicLong(from);
            Object lock = new Object();
            Runnable unsubscribe = manager.subscribe(event -> {
                synchronized (lock) {
                    if (event.seq() > last.get()) {
                        last.set(event.seq());
                        emitter.emit(event);
                    }
                }
            });
            emitter.onTermination(unsubscribe);
            if (from >= 0) {
                synchronized (lock) {
                    for (VmEvent event : manager.eventsSince(from)) {
                        if (event.seq() > last.get()) {
                            last.set(event.seq());
                            emitter.emit(event);
                        }
                    }
                }
            }
        });
    }
}
