package io.atoll.master.event;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The single-process {@link EventBus}: publication calls the subscribers directly. The bus of the
 * all-in-one default, and the local half of {@link KafkaEventBus}. Chosen by {@link EventBuses}.
 */
public class InProcessEventBus implements EventBus {
    private static final Logger LOG = Logger.getLogger(InProcessEventBus.class);

    private final List<Consumer<Event>> subscribers = new CopyOnWriteArrayList<>();

    @Override
    public void publish(List<Event> events) {
        for (Event event : events) {
            for (Consumer<Event> subscriber : subscribers) {
                try {
                    subscriber.accept(event);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "event %d (%s %s): a subscriber failed", event.id(), event.objectClass().wireName(), event.ref());
                }
            }
        }
    }

    @Override
    public Subscription subscribe(Consumer<Event> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }
}
