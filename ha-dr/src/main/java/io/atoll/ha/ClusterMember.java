package io.atoll.ha;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.util.NameCache;

/**
 * This process's membership of the pool's HA cluster: one JGroups channel on {@link HaStack}, named
 * {@code role/name}. Every node agent and every pool master instance holds one. It says who is in the
 * current view and whether that view is the majority partition, and calls listeners on each change.
 *
 * <p>Listeners run on JGroups' view thread, one view at a time and in order; they must be quick (hand
 * work to an executor). {@link #close()} leaves the cluster; the others see the departure at once.
 */
public final class ClusterMember implements AutoCloseable {
    /** The JGroups cluster name every Atoll member of one pool connects to. */
    public static final String DEFAULT_CLUSTER = "atoll-pool";
    private static final Logger LOG = Logger.getLogger(ClusterMember.class);

    private final MemberId id;
    private final JChannel channel;
    private final List<Consumer<ClusterView>> listeners = new CopyOnWriteArrayList<>();
    private volatile Quorum quorum;
    private volatile ClusterView view;
    private volatile View lastJgroupsView;

    private ClusterMember(MemberId id, JChannel channel, Quorum quorum) {
        this.id = id;
        this.channel = channel;
        this.quorum = quorum;
        this.view = new ClusterView("none", List.of(), false, Instant.now(), System.nanoTime());
    }

    /**
     * Joins the cluster {@code clusterName} (members of one pool share it). Returns once this member has
     * a view: either it joined a running cluster, or it found nobody within the join timeout and formed
     * one alone (a minority, unless it alone is the quorum).
     */
    public static ClusterMember join(HaStack stack, String clusterName, MemberId id, Quorum quorum) throws Exception {
        JChannel channel = new JChannel(stack.open());
        channel.setName(id.logicalName());
        ClusterMember member = new ClusterMember(id, channel, quorum);
        channel.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View newView) {
                member.onView(newView);
            }
        });
        try {
            channel.connect(clusterName);
        } catch (Exception e) {
            channel.close();
            throw e;
        }
        member.onView(channel.getView());
        return member;
    }

    public MemberId id() {
        return id;
    }

    /** The current view (never null; before the first view, an empty minority view). */
    public ClusterView view() {
        return view;
    }

    public boolean inMajority() {
        return view.inMajority();
    }

    /** The expected members changed (a host joined or was ejected): the majority is recomputed now. */
    public void quorum(Quorum newQuorum) {
        this.quorum = newQuorum;
        View current = lastJgroupsView;
        if (current != null) {
            onView(current);
        }
    }

    public Quorum quorum() {
        return quorum;
    }

    /** Called with every later view; returns a handle that removes the listener. */
    public AutoCloseable onViewChange(Consumer<ClusterView> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** The underlying channel, for tests that inject faults (DISCARD) and for later protocols. */
    public JChannel channel() {
        return channel;
    }

    private synchronized void onView(View newView) {
        if (newView == null) {
            return;
        }
        lastJgroupsView = newView;
        List<MemberId> members = new ArrayList<>();
        for (Address a : newView.getMembers()) {
            MemberId m = a.equals(channel.getAddress()) ? id : MemberId.parse(NameCache.get(a));
            if (m != null) {
                members.add(m);
            }
        }
        ClusterView next = new ClusterView(newView.getViewId().toString(), members, quorum.isMajority(members), Instant.now(),
                System.nanoTime());
        boolean changed = !next.members().equals(view.members()) || next.inMajority() != view.inMajority();
        view = next;
        if (changed) {
            LOG.infof("ha member %s: view %s with %d member(s) %s, %s", id, next.id(), members.size(), members,
                    next.inMajority() ? "majority" : "MINORITY of " + quorum.expected().size() + " expected");
        }
        for (Consumer<ClusterView> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                LOG.warnf(e, "ha member %s: a view listener failed", id);
            }
        }
    }

    /** Leaves the cluster. */
    @Override
    public void close() {
        listeners.clear();
        channel.close();
    }
}
