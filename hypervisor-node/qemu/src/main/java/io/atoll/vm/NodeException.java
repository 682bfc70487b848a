package io.atoll.vm;

import io.atoll.node.api.NodeErrorCode;

/** A refused or failed node operation: a code, a message that says what to do, and the object concerned. */
public final class NodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final NodeErrorCode code;
    private final String object;

    public NodeException(NodeErrorCode code, String object, String message) {
        super(message);
        this.code = code;
        this.object = object;
    }

    public NodeException(NodeErrorCode code, String object, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.object = object;
    }

    public NodeErrorCode code() {
        return code;
    }

    /** The object concerned, e.g. {@code vm 3f2a…}, or {@code null}. */
    public String object() {
        return object;
    }
}
