package io.atoll.master.task;

import io.atoll.master.error.MasterException;
import io.atoll.master.event.ObjectClass;
import io.atoll.master.event.ObjectRef;
import java.util.UUID;

/**
 * How the feature owning a class of objects releases what a task held on one of them when the
 * task is abandoned ({@link TaskWatchdog}): the object's lock, a placement. Implemented by each
 * feature whose tasks lock their object (the VM package for {@code vm.*} tasks), so that the task
 * package depends on none of them.
 */
public interface TaskObjectRecovery {

    /** Whether this recovery owns objects of this class. */
    boolean handles(ObjectClass objectClass);

    /**
     * In the caller's transaction: releases what {@code task} holds on {@code object} (only if it
     * still holds it) and fails the task with {@code error} through {@link TaskService#fail}, which
     * refuses a task that has ended meanwhile — then nothing of this transaction is kept.
     */
    void abandoned(UUID task, ObjectRef object, MasterException error);
}
