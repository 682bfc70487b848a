package io.atoll.master.error;

/**
 * Every error the pool master answers with or fails a task with: a stable code, its HTTP status,
 * and who has to act. Clients match on the code; the message tells a person what to do.
 */
public enum MasterErrorCode {
    /** Malformed JSON, a bad query parameter. */
    INVALID_REQUEST(400, Kind.USER),
    /** A value out of range in a VM spec or a join request. */
    INVALID_SPEC(400, Kind.USER),
    /** The agent refused the token given at join. */
    HOST_AGENT_UNAUTHORIZED(400, Kind.USER),
    /** No bearer token, or one that is unknown, expired or revoked; a wrong user name or password at login. */
    UNAUTHORIZED(401, Kind.USER),
    /**
     * A host's join: the join token is unknown, revoked, expired or used up (the message says
     * which, and when it expired).
     */
    JOIN_TOKEN_INVALID(401, Kind.USER),
    /** The caller's role is below the endpoint's; the message names both. */
    FORBIDDEN(403, Kind.USER),
    /** No such path. */
    NOT_FOUND(404, Kind.USER),
    HOST_NOT_FOUND(404, Kind.USER),
    VM_NOT_FOUND(404, Kind.USER),
    TASK_NOT_FOUND(404, Kind.USER),
    SR_NOT_FOUND(404, Kind.USER),
    VDI_NOT_FOUND(404, Kind.USER),
    NETWORK_NOT_FOUND(404, Kind.USER),
    USER_NOT_FOUND(404, Kind.USER),
    TOKEN_NOT_FOUND(404, Kind.USER),
    JOIN_TOKEN_NOT_FOUND(404, Kind.USER),
    USER_NAME_TAKEN(409, Kind.USER),
    /** Deleting or demoting the only pool-admin would leave the pool without one. */
    LAST_POOL_ADMIN(409, Kind.USER),
    /** An agent at that URL, or a host of that uuid (under any URL), is already a member of the pool. */
    HOST_ALREADY_JOINED(409, Kind.USER),
    /** Eject of a host on which VMs run, are suspended or are being started. */
    HOST_HAS_RESIDENT_VMS(409, Kind.USER),
    /** A named host is disabled or unreachable, or too small for the VM. */
    HOST_NOT_AVAILABLE(409, Kind.USER),
    /** No enabled, online host has the memory the VM needs. */
    NO_HOST_AVAILABLE(409, Kind.USER),
    VM_NAME_TAKEN(409, Kind.USER),
    SR_NAME_TAKEN(409, Kind.USER),
    NETWORK_NAME_TAKEN(409, Kind.USER),
    NETWORK_IN_USE(409, Kind.USER),
    /** A private network's VNI is another network's; the message names it. */
    NETWORK_VNI_TAKEN(409, Kind.USER),
    /** A private network's subnet overlaps another private network's (or the pool range is used up). */
    NETWORK_SUBNET_OVERLAP(409, Kind.USER),
    /** Every DHCP slice of a private network's subnet is taken by other hosts. */
    NETWORK_DHCP_EXHAUSTED(409, Kind.USER),
    /** A host cannot realise this kind of network (a VLAN network without 802.1q); the message names network and host. */
    NETWORK_NOT_SUPPORTED(409, Kind.USER),
    /** A host failed to realise or remove a network (a command failed there); the message carries the host's words. */
    NETWORK_FAILED(502, Kind.EXTERNAL),
    VIF_NOT_FOUND(404, Kind.USER),
    /** A VIF's device id or MAC address is another VIF's already. */
    VIF_TAKEN(409, Kind.USER),
    /** Destroying or detaching a repository whose disks VMs use; the message names them. */
    SR_IN_USE(409, Kind.USER),
    /** No online host has the repository attached (or not the one asked for). */
    SR_NOT_ATTACHED(409, Kind.USER),
    /** Destroying a disk a VM (or a VM snapshot) uses; the message names it. */
    VDI_IN_USE(409, Kind.USER),
    /** A VM operation needs a kind of VM it is not (start a template, snapshot a snapshot). */
    VM_IS_TEMPLATE_OR_SNAPSHOT(409, Kind.USER),
    // A storage adapter's refusal, passed on with the agent's code (the message names the host).
    STORAGE_TYPE_UNKNOWN(400, Kind.USER),
    STORAGE_INVALID_ARGUMENT(400, Kind.USER),
    STORAGE_SHRINK_NOT_ALLOWED(400, Kind.USER),
    STORAGE_NOT_FOUND(404, Kind.USER),
    STORAGE_NOT_SUPPORTED(409, Kind.USER),
    STORAGE_ALREADY_EXISTS(409, Kind.USER),
    STORAGE_IN_USE(409, Kind.USER),
    STORAGE_NO_SPACE(409, Kind.USER),
    STORAGE_UNAVAILABLE(503, Kind.EXTERNAL),
    STORAGE_BACKEND_FAILED(502, Kind.EXTERNAL),
    /** The VM's power state forbids the operation (pause a halted VM). */
    OPERATION_NOT_ALLOWED(409, Kind.USER),
    /** Another operation on the same VM is in progress; the message names it and its task. */
    OTHER_OPERATION_IN_PROGRESS(409, Kind.USER),
    /** A host's agent did not answer (connection refused, timed out). */
    HOST_UNREACHABLE(502, Kind.EXTERNAL),
    /** A host's agent refused or failed an operation; the message carries the agent's code and message. */
    HOST_AGENT_ERROR(502, Kind.EXTERNAL),
    /**
     * This master instance is a standby: the answer redirects (307) to the active instance when one
     * is known, else asks to retry (a take-over is under way).
     */
    NOT_ACTIVE_MASTER(503, Kind.EXTERNAL),
    /** An operation would leave the pool unable to restart its protected VMs after the configured number of host failures. */
    HA_PLAN_VIOLATED(409, Kind.USER),
    /** HA cannot be enabled or changed as asked (the message names the object and the fix). */
    HA_NOT_POSSIBLE(409, Kind.USER),
    /** The master restarted while the task ran; the VM's state is checked against its host. */
    TASK_INTERRUPTED(500, Kind.INTERNAL),
    INTERNAL(500, Kind.INTERNAL);

    /** Who has to act: the caller, a component outside the master (a host), or the master's developers. */
    public enum Kind { USER, EXTERNAL, INTERNAL }

    private final int httpStatus;
    private final Kind kind;

    MasterErrorCode(int httpStatus, Kind kind) {
        this.httpStatus = httpStatus;
        this.kind = kind;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public Kind kind() {
        return kind;
    }

    /** The master's code for an agent's network refusal ({@code NETWORK_…}, {@code INVALID_SPEC}), or {@code null}. */
    public static MasterErrorCode ofAgentNetworkCode(String agentCode) {
        if (agentCode == null || !agentCode.startsWith("NETWORK_") && !agentCode.equals("INVALID_SPEC")) {
            return null;
        }
        for (MasterErrorCode c : values()) {
            if (c.name().equals(agentCode)) {
                return c;
            }
        }
        return null;
    }

    /** The master's code for an agent's storage refusal ({@code STORAGE_…}), or {@code null}. */
    public static MasterErrorCode ofAgentStorageCode(String agentCode) {
        if (agentCode == null || !agentCode.startsWith("STORAGE_")) {
            return null;
        }
        for (MasterErrorCode c : values()) {
            if (c.name().equals(agentCode)) {
                return c;
            }
        }
        return null;
    }
}
