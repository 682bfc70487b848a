package io.atoll.master.host;

import io.atoll.master.agent.AgentClient;
import io.atoll.master.agent.AgentEndpoint;
import io.atoll.master.error.MasterException;
import io.atoll.master.vm.Reconciler;
import io.atoll.node.api.HostFacts;
import io.atoll.node.api.VmInfo;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Polls every host's agent for its facts and VMs, then reconciles the pool database with what
 * they answered ({@link Reconciler}). All agents are asked at once (asynchronous calls, each
 * bounded by {@code atoll.master.agent-query-timeout}), so one dead host delays no other; the
 * answers are then written one host at a time in short transactions. A host that answers again
 * after being UNREACHABLE is reconciled in that same pass.
 *
 * <p>One pass also runs at start-up, before the API opens (StartupEvent observers run before the
 * HTTP server starts): after the tasks a stopped master left open are failed (priority 10) and
 * before their locks are released (priority 20), so the VMs those tasks acted on are re-read from
 * their hosts before anything else may run on them.
 */
@ApplicationScoped
public class HostMonitor {
    private static final Logger LOG = Logger.getLogger(HostMonitor.class);

    @Inject
    HostService hosts;

    @Inject
    AgentClient agents;

    @Inject
    Reconciler reconciler;

    @Inject
    io.atoll.master.ha.MasterRole role;

    @Inject
    io.atoll.master.network.GuestAddresses addresses;

    /** One pass at a time: the start-up pass and the scheduled ones never overlap. */
    private final ReentrantLock passes = new ReentrantLock();

    private record Poll(AgentEndpoint agent, CompletableFuture<HostFacts> facts, CompletableFuture<List<VmInfo>> vms) {
    }

    @Scheduled(identity = "host-poll", every = "${atoll.master.host-poll-interval:5s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduledPass() {
        if (!role.isActive()) {
            return; // a standby: the active master polls
        }
        if (passes.tryLock()) {
            try {
                pass(false);
            } finally {
                passes.unlock();
            }
        }
    }

    /** The start-up pass; a failure is logged and the master starts anyway (the next pass tries again). */
    void atStart(@Observes @Priority(15) io.atoll.master.ha.MasterActivated start) {
        passes.lock();
        try {
            long began = System.nanoTime();
            pass(true);
            LOG.infof("start-up reconciliation done in %d ms", (System.nanoTime() - began) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.errorf(e, "start-up reconciliation failed; the next poll reconciles");
        } finally {
            passes.unlock();
        }
    }

    private void pass(boolean atStart) {
        long began = System.nanoTime();
        // The database before asking: a change the master makes meanwhile wins over the answers.
        Reconciler.Snapshot before = reconciler.snapshot();
        long snapshotDone = System.nanoTime();
        List<Poll> polls = new ArrayList<>();
        for (AgentEndpoint agent : hosts.agents()) {
            polls.add(new Poll(agent, agents.factsAsync(agent), agents.vmsAsync(agent)));
        }
        Map<UUID, Answer> answered = new LinkedHashMap<>();
        long askedAt = System.nanoTime();
        for (Poll poll : polls) {
            try {
                answered.put(poll.agent.host(), new Answer(poll.agent, poll.facts.join(), poll.vms.join()));
            } catch (CompletionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                try {
                    hosts.recordUnreachable(poll.agent.host(), cause instanceof MasterException m ? m.getMessage() : cause.toString());
                } catch (RuntimeException failed) {
                    LOG.errorf(failed, "%s: recording that it did not answer failed", poll.agent.label());
                }
            }
        }
        long waiting = System.nanoTime() - askedAt;
        // Written in batches: one transaction (and one turn of the event clock) per batch, not per host.
        List<Reconciler.HostAnswer> answers = new ArrayList<>();
        List<Answer> all = new ArrayList<>(answered.values());
        for (int from = 0; from < all.size(); from += RECORD_BATCH) {
            Map<UUID, HostFacts> batch = new LinkedHashMap<>();
            all.subList(from, Math.min(all.size(), from + RECORD_BATCH)).forEach(a -> batch.put(a.agent().host(), a.facts()));
            try {
                // Not a host's own: another machine answers at its address; what it runs says nothing of this host.
                Set<UUID> own = hosts.recordFacts(batch);
                for (UUID h : batch.keySet()) {
                    if (own.contains(h)) {
                        answers.add(new Reconciler.HostAnswer(answered.get(h).agent(), answered.get(h).vms()));
                    }
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "recording the poll of %d hosts failed; the next poll tries again", batch.size());
            }
        }
        long recorded = System.nanoTime();
        reconciler.reconcile(before, answers, atStart);
        long reconciled = System.nanoTime();
        Map<AgentEndpoint, List<VmInfo>> reported = new LinkedHashMap<>();
        answers.forEach(a -> reported.put(a.agent(), a.vms()));
        try {
            addresses.learn(reported);
        } catch (RuntimeException e) {
            LOG.warnf(e, "learning the guests' addresses failed; the next poll tries again");
        }
        long ended = System.nanoTime();
        if (ended - began > interval.toNanos()) {
            // The poller falls behind: say where the time went (an administrator sees hosts polled less often than configured).
            LOG.warnf("host poll: a pass over %d hosts took %d ms, longer than the interval (%d ms): database read %d ms, answers and"
                    + " facts %d ms (of which waiting for answers %d ms), reconciliation %d ms, guest addresses %d ms", polls.size(),
                    ms(ended - began), interval.toMillis(), ms(snapshotDone - began), ms(recorded - snapshotDone), ms(waiting),
                    ms(reconciled - recorded), ms(ended - reconciled));
        }
    }

    /** A host's answer to a poll. */
    private record Answer(AgentEndpoint agent, HostFacts facts, List<VmInfo> vms) {
    }

    /** Hosts whose poll answers are written in one transaction. */
    static final int RECORD_BATCH = 100;

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "atoll.master.host-poll-interval", defaultValue = "5s")
    java.time.Duration interval;
}
