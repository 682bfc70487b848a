package io.atoll.master.ha;

/**
 * This master instance has become the pool's active master (at start when it is the only one; when
 * it takes the lease in a cluster of instances). Observers run the work only the active master does
 * — fail the tasks a previous master left open, reconcile with the hosts, release stale locks — in
 * their priority order, before this instance serves the API.
 *
 * @param epoch the lease's epoch (0 for a master without a cluster)
 */
public record MasterActivated(long epoch) {
}
