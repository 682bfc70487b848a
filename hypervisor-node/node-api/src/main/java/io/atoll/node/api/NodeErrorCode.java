package io.atoll.node.api;

/** Every error a node agent answers with, its HTTP status, and whose fault it is. */
public enum NodeErrorCode {
    INVALID_REQUEST(400, Kind.USER),
    INVALID_SPEC(400, Kind.USER),
    DISK_NOT_FOUND(400, Kind.USER),
    UNAUTHORIZED(401, Kind.USER),
    NOT_FOUND(404, Kind.USER),
    VM_NOT_FOUND(404, Kind.USER),
    VM_ALREADY_EXISTS(409, Kind.USER),
    VM_NAME_TAKEN(409, Kind.USER),
    OPERATION_NOT_ALLOWED(409, Kind.USER),
    VM_BUSY(409, Kind.USER),
    INSUFFICIENT_MEMORY(409, Kind.USER),
    ACCELERATOR_UNAVAILABLE(409, Kind.USER),
    QEMU_START_FAILED(500, Kind.EXTERNAL),
    MIGRATION_FAILED(502, Kind.EXTERNAL),
    MIGRATION_CANCELLED(409, Kind.USER),
    QMP_ERROR(502, Kind.EXTERNAL),
    TIMEOUT(504, Kind.EXTERNAL),
    INTERNAL(500, Kind.INTERNAL);

    /** Who has to act: the caller, a component outside the agent, or the agent's developers. */
    public enum Kind { USER, EXTERNAL, INTERNAL }

    private final int httpStatus;
    private final Kind kind;

    NodeErrorCode(int httpStatus, Kind kind) {
        this.httpStatus = httpStatus;
        this.kind = kind;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public Kind kind() {
        return kind;
    }
}
