package io.atoll.ha;

/** A write or call from a master whose epoch is older than one already seen: a deposed master. */
public final class FencedException extends RuntimeException {
    private final long presented;
    private final long current;

    public FencedException(long presented, long current) {
        super("master epoch " + presented + " is fenced: epoch " + current + " has taken over (a deposed master's late request)");
        this.presented = presented;
        this.current = current;
    }

    public long presented() {
        return presented;
    }

    public long current() {
        return current;
    }
}
