package io.atoll.ha.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded polls: tests wait for a condition, never sleep for a guess. */
public final class Await {
    private Await() {
    }

    /** Polls {@code condition} every 20 ms until it holds; fails with {@code what()} after {@code limit}. */
    public static void until(Duration limit, Supplier<String> what, BooleanSupplier condition) {
        long end = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("not within " + limit.toMillis() + " ms: " + what.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting: " + what.get());
            }
        }
    }
}
