package io.atoll.storage.spi;

import java.util.Objects;

/**
 * The one exception type of the SDK: a code and a message that says what failed, on which object,
 * and what to do.
 */
public class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final StorageErrorCode code;

    public StorageException(StorageErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code);
    }

    public StorageException(StorageErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code);
    }

    public StorageErrorCode code() {
        return code;
    }

    /** The exact error an adapter gives for a behavior it does not offer. */
    public static StorageException notSupported(StorageBehavior behavior) {
        return new StorageException(StorageErrorCode.NOT_SUPPORTED, behavior.notSupportedMessage());
    }
}
