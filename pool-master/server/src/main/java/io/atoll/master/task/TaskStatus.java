package io.atoll.master.task;

/** Where a task is in its life (XAPI's task status). Only PENDING and RUNNING change. */
public enum TaskStatus {
    /** Accepted, waiting for a worker. */
    PENDING,
    /** A worker runs it; {@code progress} moves from 0 to 1. */
    RUNNING,
    SUCCESS,
    /** Ended with an error: the task's {@code error} says why. */
    FAILURE,
    /** Cancelled before it finished (not offered yet). */
    CANCELLED;

    public boolean finished() {
        return this != PENDING && this != RUNNING;
    }
}
