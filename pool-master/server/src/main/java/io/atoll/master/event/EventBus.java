package io.atoll.master.event;

import java.util.List;
import java.util.function.Consumer;

/**
 * Carries committed events to whoever follows them: the long poll of {@code GET /api/v1/events}
 * now, other masters and integrators through Kafka later (a Kafka implementation replaces
 * {@link InProcessEventBus}, the default bean, behind this interface).
 *
 * <p>The database stays the record: an event is in the {@code event} table before it is
 * published, so a subscriber that missed a publication (it restarted, a broker was down) reads
 * the gap from the table by id. The bus is for delivery and wake-ups, not for storage.
 */
public interface EventBus {

    /**
     * Publishes the events one transaction wrote, in id order. Called once per transaction, after
     * it committed, on the committing thread: implementations must neither block for long nor
     * throw.
     */
    void publish(List<Event> events);

    /**
     * Delivers every event published from now on to {@code subscriber}, in the order of
     * publication (which may differ from id order between transactions). The subscriber runs on
     * the publishing thread and must be quick. Closing the returned handle stops delivery.
     */
    Subscription subscribe(Consumer<Event> subscriber);

    /** A subscription; {@link #close()} ends it. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
