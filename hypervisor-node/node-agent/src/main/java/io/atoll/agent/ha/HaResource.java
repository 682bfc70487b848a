package io.atoll.agent.ha;

import io.atoll.node.api.HaConfig;
import io.atoll.node.api.HaStatus;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** This host's HA membership: {@code PUT} joins (or updates, or re-admits after a fence), {@code GET} reports, {@code DELETE} leaves. */
@Path("/api/v1/ha")
@Produces(MediaType.APPLICATION_JSON)
public class HaResource {

    @Inject
    HaService ha;

    @PUT
    public HaStatus put(HaConfig config) {
        return ha.apply(config);
    }

    @GET
    public HaStatus get() {
        return ha.status();
    }

    @DELETE
    public HaStatus delete() {
        return ha.disable();
    }
}
