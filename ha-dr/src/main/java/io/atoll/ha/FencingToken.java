package io.atoll.ha;

/**
 * The proof that a master holds (or held) the lease: the epoch the database gave it when it took the
 * lease. Epochs only grow; a newer master has a greater one. The active master sends it with every
 * agent call ({@link #HEADER}) and checks it in its own write transactions
 * ({@link MasterLease#checkFence(java.sql.Connection, FencingToken)}), so a deposed master's late
 * writes and calls are refused.
 */
public record FencingToken(long epoch, String holder) {
    /** The HTTP header that carries the epoch on master → agent calls. */
    public static final String HEADER = "X-Atoll-Master-Epoch";

    public FencingToken {
        if (epoch < 1) {
            throw new IllegalArgumentException("an epoch is at least 1, was " + epoch);
        }
        if (holder == null || holder.isBlank()) {
            throw new IllegalArgumentException("a fencing token names its holder");
        }
    }

    /**
     * Refuses {@code presented} when a newer epoch, {@code current}, is known.
     *
     * @throws FencedException when {@code presented < current}
     */
    public static void check(long presented, long current) {
        if (presented < current) {
            throw new FencedException(presented, current);
        }
    }
}
