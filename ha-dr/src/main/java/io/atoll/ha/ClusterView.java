package io.atoll.ha;

import java.time.Instant;
import java.util.List;

/**
 * One membership view as a member saw it: who is in it, whether it is the majority partition, and when
 * it was installed here.
 *
 * @param id          JGroups' view id (coordinator and counter), for logs
 * @param members     the members, coordinator first; members without an Atoll name are left out
 * @param inMajority  whether these members hold a strict majority of the {@link Quorum}
 * @param installedAt when this member installed the view (wall clock, for logs)
 * @param installedNanos the same on {@link System#nanoTime()}, for timers
 */
public record ClusterView(String id, List<MemberId> members, boolean inMajority, Instant installedAt, long installedNanos) {
    public ClusterView {
        members = List.copyOf(members);
    }

    public boolean contains(MemberId member) {
        return members.contains(member);
    }
}
