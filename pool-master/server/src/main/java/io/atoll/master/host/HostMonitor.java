package io.atoll.master.host;

import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterException;
import io.atoll.master.vm.VmStateFollower;
import io.atoll.node.api.HostFacts;
import io.atoll.node.api.VmInfo;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/**
 * Polls every host's agent for its facts and VMs. All agents are asked at once (asynchronous
 * calls, each bounded by {@code atoll.master.agent-query-timeout}), so one dead host delays no
 * other; the answers are then written one host at a time in short transactions.
 */
@ApplicationScoped
public class HostMonitor {
    private static final Logger LOG = Logger.getLogger(HostMonitor.class);

    @Inject
    HostService hosts;

    @Inject
    AgentClient agents;

    @Inject
    VmStateFollower vms;

    private record Poll(AgentEndpoint agent, Map<UUID, Long> vmVersions, CompletableFuture<HostFacts> facts,
                        CompletableFuture<List<VmInfo>> vms) {
    }

    @Scheduled(identity = "host-poll", every = "${atoll.master.host-poll-interval:5s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void pollAll() {
        List<Poll> polls = new ArrayList<>();
        // The VMs' versions before asking: a change the master makes meanwhile wins over the answer.
        Map<UUID, Map<UUID, Long>> versions = vms.versionsByHost();
        for (AgentEndpoint agent : hosts.agents()) {
            polls.add(new Poll(agent, versions.getOrDefault(agent.host(), Map.of()), agents.factsAsync(agent), agents.vmsAsync(agent)));
        }
        for (Poll poll : polls) {
            try {
                HostFacts facts = poll.facts.join();
                List<VmInfo> reported = poll.vms.join();
                if (hosts.recordFacts(poll.agent.host(), facts)) {
                    vms.follow(poll.agent, poll.vmVersions, reported);
                }
            } catch (CompletionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                hosts.recordUnreachable(poll.agent.host(), cause instanceof MasterException m ? m.getMessage() : cause.toString());
            } catch (RuntimeException e) {
                LOG.errorf(e, "%s: recording the poll failed", poll.agent.label());
            }
        }
    }
}
