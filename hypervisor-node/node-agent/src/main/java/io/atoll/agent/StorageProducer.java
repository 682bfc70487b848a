package io.atoll.agent;

import io.atoll.agent.storage.AttachedDisks;
import io.atoll.agent.storage.StorageRepositories;
import io.atoll.storage.host.PluginLoader;
import io.atoll.storage.host.StorageAdapters;
import io.atoll.storage.spi.CommandRunner;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** Loads the storage plugins once at start; a plugin that fails is reported, the others serve. */
@ApplicationScoped
public class StorageProducer {
    private static final Logger LOG = Logger.getLogger(StorageProducer.class);

    @Produces
    @Singleton
    StorageAdapters adapters(AgentConfig config, HostIdentity host) {
        StorageAdapters adapters = new PluginLoader(config.pluginsDir(), config.storageWorkDir(), host.uuid().toString(), new CommandRunner()).load();
        LOG.infof("storage: %d adapter type(s) %s from %s; %d plugin(s) refused", adapters.types().size(), adapters.types(),
                config.pluginsDir(), adapters.failures().size());
        return adapters;
    }

    /** The repositories this host had attached, attached again (before the VMs are adopted: they hold their disks). */
    @Produces
    @Singleton
    StorageRepositories repositories(AgentConfig config, StorageAdapters adapters) {
        return new StorageRepositories(adapters, config.stateDir());
    }

    @Produces
    @Singleton
    AttachedDisks attachedDisks(StorageRepositories repositories) {
        return new AttachedDisks(repositories);
    }

    void close(@Disposes StorageAdapters adapters) {
        adapters.close();
    }
}
