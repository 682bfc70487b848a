package io.atoll.agent;

import io.atoll.node.api.HostFacts;
import io.atoll.vm.VmManager;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** This host's facts: its uuid, CPUs, memory, KVM, free space, the accelerator {@code auto} picks. */
@Path("/api/v1/host")
@Produces(MediaType.APPLICATION_JSON)
public class HostResource {

    @Inject
    VmManager manager;

    @Inject
    HostIdentity host;

    @GET
    public HostFacts facts() {
        return manager.hostFacts(host.uuid());
    }
}
