package io.atoll.agent;

import io.atoll.storage.host.StorageAdapters;
import io.atoll.storage.spi.StorageAdapter;
import io.atoll.storage.spi.StorageBehavior;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Set;

/** The storage adapter types this host can serve, and the plugins it refused with why. */
@Path("/api/v1/storage/adapters")
@Produces(MediaType.APPLICATION_JSON)
public class StorageResource {

    /** One adapter type: what it can do and the device-config keys it reads. */
    public record AdapterView(String type, String plugin, Set<StorageBehavior> behaviors, List<StorageAdapter.ConfigKey> configKeys) {
    }

    /** The answer: loaded adapters and refused plugins. */
    public record Adapters(List<AdapterView> adapters, List<StorageAdapters.PluginFailure> refused) {
    }

    @Inject
    StorageAdapters adapters;

    @GET
    public Adapters list() {
        List<AdapterView> views = adapters.plugins().stream()
                .flatMap(p -> p.adapterTypes().stream().map(t -> {
                    StorageAdapter a = adapters.adapter(t);
                    return new AdapterView(t, p.name(), a.behaviors(), a.configKeys());
                }))
                .sorted(java.util.Comparator.comparing(AdapterView::type)).toList();
        return new Adapters(views, adapters.failures());
    }
}
