package io.atoll.ha;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's side of fencing: it remembers the highest master epoch it has seen and refuses any call
 * carrying a lower one. A new master announces its epoch to every agent before it restarts anything, so
 * from then on the old master's calls bounce. Thread-safe; one per agent.
 */
public final class FencingGate {
    private final AtomicLong highest;

    public FencingGate() {
        this(0);
    }

    /** Starts from an epoch the agent persisted, so a restart of the agent does not forget it. */
    public FencingGate(long highestSeen) {
        this.highest = new AtomicLong(highestSeen);
    }

    /**
     * Admits a call from the master of {@code epoch} and raises the highest epoch seen to it.
     *
     * @throws FencedException when a newer epoch has already been seen
     */
    public void admit(long epoch) {
        long seen = highest.accumulateAndGet(epoch, Math::max);
        FencingToken.check(epoch, seen);
    }

    public long highestSeen() {
        return highest.get();
    }
}
