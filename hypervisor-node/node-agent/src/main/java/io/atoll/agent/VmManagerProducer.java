package io.atoll.agent;

import io.atoll.agent.storage.AttachedDisks;
import io.atoll.host.HostProbe;
import io.atoll.vm.NodeConfig;
import io.atoll.vm.VmManager;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** Creates the host's {@link VmManager} at start (adopting running VMs) and lets go of it at stop: VMs keep running. */
@ApplicationScoped
public class VmManagerProducer {
    private static final Logger LOG = Logger.getLogger(VmManagerProducer.class);

    @Produces
    @Singleton
    HostProbe hostProbe() {
        return new HostProbe();
    }

    @Produces
    @Singleton
    HostIdentity hostIdentity(AgentConfig config) {
        return HostIdentity.readOrCreate(config.hostUuidFile());
    }

    @Produces
    @Singleton
    VmManager vmManager(AgentConfig config, HostProbe probe, AttachedDisks disks, io.atoll.agent.network.NetworkService networks) {
        NodeConfig node = new NodeConfig(config.stateDir(), config.runDir(), config.qemuBinary(),
                config.cleanShutdownTimeout(), config.qemuStartTimeout(), config.hostMemoryReserveMib());
        return new VmManager(node, probe, networks.around(disks));
    }

    void onStart(@Observes StartupEvent event, VmManager manager, HostProbe probe, HostIdentity host) {
        var kvm = probe.kvm();
        LOG.infof("node agent ready on host %s: %d VM(s) known, %d running; KVM %s (%s); accelerator auto = %s",
                host.uuid(), manager.list().size(), manager.runningVms().size(), kvm.usable() ? "usable" : "unusable", kvm.reason(),
                probe.resolve(io.atoll.node.api.Accelerator.AUTO).qemuName());
    }

    void onStop(@Observes ShutdownEvent event, VmManager manager) {
        LOG.infof("node agent stopping: %d VM(s) keep running", manager.runningVms().size());
        manager.close();
    }
}
