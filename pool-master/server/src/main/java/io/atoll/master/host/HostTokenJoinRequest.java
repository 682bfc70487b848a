package io.atoll.master.host;

import java.net.URI;

/**
 * The body of {@code POST /api/v1/hosts/join}, which a host sends itself ({@code atoll host join}):
 * the join token a pool-admin gave it, where its agent answers, and the agent's token.
 *
 * @param joinToken from {@code POST /api/v1/pool/join-tokens}; the credential of this call
 * @param agentUrl the agent's base URL as the master reaches it, e.g. {@code http://10.0.0.5:7401}
 * @param agentToken the content of the agent's token file, or omitted for an agent without one
 */
public record HostTokenJoinRequest(String joinToken, String agentUrl, String agentToken) {
    public HostTokenJoinRequest {
        if (joinToken == null || joinToken.isBlank()) {
            throw new IllegalArgumentException("joinToken is required: a pool-admin creates one with atoll pool join-token create");
        }
        if (agentUrl == null) {
            throw new IllegalArgumentException("agentUrl is required: where the master reaches this host's agent, e.g. http://10.0.0.5:7401");
        }
        new HostJoinRequest(null, agentUrl, agentToken); // the same checks of the URL and token as an administrator's join
    }

    /** The agent's base URL, normalized (no trailing slash). */
    public URI resolveAgentUrl() {
        return new HostJoinRequest(null, agentUrl, agentToken).resolveAgentUrl(0);
    }

    /** Leaves both tokens out: requests get logged. */
    @Override
    public String toString() {
        return "HostTokenJoinRequest[agentUrl=" + agentUrl + ", joinToken=***, agentToken=" + (agentToken == null ? "none" : "***") + "]";
    }
}
