package io.atoll.master.host;

/** Whether the master reaches a host's agent. */
public enum HostHealth {
    /** The agent answered the last poll. */
    ONLINE,
    /** The agent did not answer the last poll in time; no VM is placed on the host. */
    UNREACHABLE
}
