package io.atoll.ha;

import java.util.Collection;
import java.util.Set;

/**
 * Who counts for the majority: every member the pool expects (its hosts and its master instances). A
 * partition holds the majority when it contains more than half of them, so two partitions never both
 * do. The expected set comes from the pool database and changes when a host joins or is ejected; it
 * must never be derived from a view (a minority would then count itself a majority).
 */
public record Quorum(Set<MemberId> expected) {
    public Quorum {
        if (expected == null || expected.isEmpty()) {
            throw new IllegalArgumentException("a quorum needs the set of expected members");
        }
        expected = Set.copyOf(expected);
    }

    public static Quorum of(Collection<MemberId> expected) {
        return new Quorum(Set.copyOf(expected));
    }

    /** Whether {@code present} (the members of one view) hold a strict majority of the expected set. */
    public boolean isMajority(Collection<MemberId> present) {
        long counted = present.stream().distinct().filter(expected::contains).count();
        return counted * 2 > expected.size();
    }
}
