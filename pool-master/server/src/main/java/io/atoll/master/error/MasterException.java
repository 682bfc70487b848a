package io.atoll.master.error;

import java.util.Objects;

/**
 * The one exception of the pool master: a code, a message that says what to do, and the object
 * concerned ({@code vm 3f2a…}, {@code host 9c1d…}). The REST layer turns it into an
 * {@link io.atoll.node.api.ApiError}; a task that ends with it records the code and message.
 */
public class MasterException extends RuntimeException {
    private final MasterErrorCode code;
    private final String object;

    public MasterException(MasterErrorCode code, String object, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
        this.object = object;
    }

    public MasterException(MasterErrorCode code, String object, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.object = object;
    }

    public MasterErrorCode code() {
        return code;
    }

    /** The object concerned, e.g. {@code vm 3f2a…}, or {@code null}. */
    public String object() {
        return object;
    }
}
