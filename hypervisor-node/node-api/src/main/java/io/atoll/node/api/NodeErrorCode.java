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
    /** No attached repository with this uuid on this host ({@code PUT /api/v1/storage/srs/{uuid}} first). */
    SR_NOT_ATTACHED(404, Kind.USER),
    /** No adapter of that type is loaded on this host ({@code GET /api/v1/storage/adapters} lists them). */
    STORAGE_TYPE_UNKNOWN(400, Kind.USER),
    // One code per io.atoll.storage.spi.StorageErrorCode, prefixed STORAGE_.
    STORAGE_NOT_SUPPORTED(409, Kind.USER),
    STORAGE_INVALID_ARGUMENT(400, Kind.USER),
    STORAGE_NOT_FOUND(404, Kind.USER),
    STORAGE_ALREADY_EXISTS(409, Kind.USER),
    STORAGE_IN_USE(409, Kind.USER),
    STORAGE_NO_SPACE(409, Kind.USER),
    STORAGE_SHRINK_NOT_ALLOWED(400, Kind.USER),
    STORAGE_UNAVAILABLE(503, Kind.EXTERNAL),
    STORAGE_BACKEND_FAILED(502, Kind.EXTERNAL),
    STORAGE_PLUGIN_INCOMPATIBLE(500, Kind.EXTERNAL),
    STORAGE_CORRUPT(500, Kind.EXTERNAL),
    /** No network with this uuid is realised on this host ({@code PUT /api/v1/networks/{uuid}} first). */
    NETWORK_NOT_FOUND(404, Kind.USER),
    /** This host cannot realise what was asked (a VLAN without 802.1q in the kernel), said why. */
    NETWORK_NOT_SUPPORTED(409, Kind.USER),
    /** A network is still in use (VIFs on its bridge) or realised differently. */
    NETWORK_IN_USE(409, Kind.USER),
    /** An ip/bridge/tc/nft/dnsmasq command failed; its own message is included. */
    NETWORK_FAILED(502, Kind.EXTERNAL),
    /**
     * This host fenced itself (HA: it lost the cluster and the statefile): it starts and receives no
     * VM until the pool master re-admits it ({@code PUT /api/v1/ha} with the current epoch).
     */
    HOST_FENCED(409, Kind.USER),
    /** The call carries the epoch of a deposed pool master: a newer master is active. */
    MASTER_FENCED(409, Kind.USER),
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
