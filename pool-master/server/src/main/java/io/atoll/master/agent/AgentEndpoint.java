package io.atoll.master.agent;

import java.net.URI;
import java.util.Objects;
import java.util.UUID;

/**
 * Where a host's node agent answers and how to authenticate to it.
 *
 * @param host the host's uuid in the pool, or {@code null} while it joins
 * @param url the agent's base URL ({@code http://10.0.0.5:7401}), without a trailing slash
 * @param token the agent's bearer token, or {@code null} for an agent without authentication;
 *     never printed ({@link #toString()} leaves it out)
 */
public record AgentEndpoint(UUID host, URI url, String token) {
    public AgentEndpoint {
        Objects.requireNonNull(url, "url");
        if (url.getPath() != null && url.getPath().endsWith("/")) {
            throw new IllegalArgumentException("agent URL " + url + " must not end in '/'");
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** How messages name the agent: {@code host 9c1d… (http://10.0.0.5:7401)}. */
    public String label() {
        return (host == null ? "agent" : "host " + host) + " (" + url + ")";
    }

    @Override
    public String toString() {
        return "AgentEndpoint[" + label() + (token == null ? "" : ", token=***") + "]";
    }
}
