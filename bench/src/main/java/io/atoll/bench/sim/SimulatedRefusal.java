package io.atoll.bench.sim;

import io.atoll.node.api.ApiError;
import io.atoll.node.api.NodeErrorCode;

/** A refusal of a simulated agent: answered as the agent's {@link ApiError} with the code's HTTP status. */
final class SimulatedRefusal extends RuntimeException {
    final NodeErrorCode code;
    final String object;

    SimulatedRefusal(NodeErrorCode code, String object, String message) {
        super(message, null, false, false);
        this.code = code;
        this.object = object;
    }

    ApiError error() {
        return new ApiError(code.name(), getMessage(), object);
    }
}
