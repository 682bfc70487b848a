package io.atoll.master.vm;

import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.network.NetworkRealiser;
import io.atoll.node.api.VmPowerState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The worker side of VIF plug and unplug. On a running or paused VM: the network is realised on
 * the VM's host, the host hot-plugs the NIC (or unplugs it), and only then is the change recorded;
 * a refusal fails the task and changes nothing. On a halted VM only the pool database changes.
 */
@ApplicationScoped
public class VifOperations {
    private static final Logger LOG = Logger.getLogger(VifOperations.class);

    @Inject
    VmService vms;

    @Inject
    VmVifs vifs;

    @Inject
    AgentClient agents;

    @Inject
    NetworkRealiser realiser;

    /** {@code agent[0]} is set to the VM's host when one is involved (for the failure path's re-read). */
    Vm run(UUID vm, UUID task, VmAction action, AgentEndpoint[] agent) {
        boolean live = vms.get(vm).powerState() != VmPowerState.HALTED;
        if (live) {
            agent[0] = vms.residentAgent(vm);
        }
        if (action instanceof VmAction.PlugVif plug) {
            if (live) {
                realiser.realise(agent[0].host(), List.of(plug.nic().network()));
                agents.plugNic(agent[0], vm, plug.nic());
                LOG.infof("vm %s: nic %s (%s) plugged on network %s", vm, plug.nic().id(), plug.nic().mac(), plug.nic().network());
            }
            return vifs.plugged(vm, task, plug.nic());
        }
        VmAction.UnplugVif unplug = (VmAction.UnplugVif) action;
        if (live) {
            agents.unplugNic(agent[0], vm, unplug.id());
            LOG.infof("vm %s: nic %s unplugged", vm, unplug.id());
        }
        return vifs.unplugged(vm, task, unplug.id());
    }
}
