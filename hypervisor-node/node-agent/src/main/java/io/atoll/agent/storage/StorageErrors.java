package io.atoll.agent.storage;

import io.atoll.node.api.NodeErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.vm.NodeException;

/** The agent's codes for adapter errors: each {@code StorageErrorCode} X is {@code STORAGE_X}. */
public final class StorageErrors {
    private StorageErrors() {
    }

    public static NodeErrorCode code(StorageException e) {
        return NodeErrorCode.valueOf("STORAGE_" + e.code().name());
    }

    /** The adapter's refusal as the agent answers it, about {@code object}. */
    public static NodeException toNode(StorageException e, String object) {
        return new NodeException(code(e), object, e.getMessage(), e);
    }
}
