package io.atoll.master.event;

import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Lets long polls sleep until an event newer than their token is published. It only wakes
 * readers; what they return is read from the event table. Subscribed at start-up, so that no
 * publication between a reader's query and its wait is missed.
 */
@ApplicationScoped
@Startup
public class EventWaiter {

    @Inject
    EventBus bus;

    private final Object lock = new Object();
    private long newest;
    private EventBus.Subscription subscription;

    @PostConstruct
    void subscribe() {
        subscription = bus.subscribe(event -> {
            synchronized (lock) {
                if (event.id() > newest) {
                    newest = event.id();
                    lock.notifyAll();
                }
            }
        });
    }

    @PreDestroy
    void unsubscribe() {
        subscription.close();
    }

    /** Waits until an event with an id above {@code token} is published, or until {@code deadlineNanos} (System.nanoTime). */
    public void awaitAfter(long token, long deadlineNanos) throws InterruptedException {
        synchronized (lock) {
            while (newest <= token) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }
}
