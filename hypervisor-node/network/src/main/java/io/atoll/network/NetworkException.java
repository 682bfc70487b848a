package io.atoll.network;

import io.atoll.node.api.NodeErrorCode;

/** A refused or failed network operation: a code, a message that says what to do, and the object concerned. */
public final class NetworkException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final NodeErrorCode code;
    private final String object;

    public NetworkException(NodeErrorCode code, String object, String message) {
        super(message);
        this.code = code;
        this.object = object;
    }

    public NodeErrorCode code() {
        return code;
    }

    /** The object concerned ({@code network br-priv (3f2a…)}), or {@code null}. */
    public String object() {
        return object;
    }
}
