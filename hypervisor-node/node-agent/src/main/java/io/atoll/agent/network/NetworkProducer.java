package io.atoll.agent.network;

import io.atoll.agent.AgentConfig;
import io.atoll.network.HostCommands;
import io.atoll.network.HostNetworks;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The host's networks, over the network directory (made at the first network) (and, in tests, a network namespace). */
@ApplicationScoped
public class NetworkProducer {

    @Produces
    @Singleton
    NetworkService networks(AgentConfig config) {
        HostCommands cmd = config.networkNamespace().map(HostCommands::inNamespace).orElse(HostCommands.host());
        return new NetworkService(new HostNetworks(cmd, config.networkDir()));
    }
}
