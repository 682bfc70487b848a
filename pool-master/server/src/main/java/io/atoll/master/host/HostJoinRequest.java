package io.atoll.master.host;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /api/v1/hosts}: where the host's agent answers, and its token.
 *
 * @param address the host's name or IP address; the agent is called on the master's
 *     {@code atoll.master.agent-port} over http. Give this or {@code agentUrl}.
 * @param agentUrl the agent's base URL, e.g. {@code http://10.0.0.5:7401}
 * @param agentToken the content of the agent's token file, or omitted for an agent without one
 */
public record HostJoinRequest(String address, String agentUrl, String agentToken) {
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.:_-]{1,253}");

    public HostJoinRequest {
        if ((address == null) == (agentUrl == null)) {
            throw new IllegalArgumentException("give either 'address' (a host name or IP address) or 'agentUrl' (http://HOST:PORT), not "
                    + (address == null ? "neither" : "both"));
        }
        if (address != null && !ADDRESS.matcher(address).matches()) {
            throw new IllegalArgumentException("address '" + address + "' is not a host name or IP address");
        }
        if (agentUrl != null) {
            URI uri;
            try {
                uri = new URI(agentUrl);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("agentUrl '" + agentUrl + "' is not a URL: " + e.getReason());
            }
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))
                    || uri.getQuery() != null || uri.getUserInfo() != null) {
                throw new IllegalArgumentException("agentUrl '" + agentUrl + "' must be http(s)://HOST[:PORT] with no path (e.g. http://10.0.0.5:7401)");
            }
        }
        if (agentToken != null && (agentToken.isBlank() || agentToken.length() > 512 || agentToken.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
            throw new IllegalArgumentException("agentToken must be 1-512 printable characters without spaces (the content of the agent's token file)");
        }
    }

    /** The agent's base URL, normalized (no trailing slash). */
    public URI resolveAgentUrl(int defaultPort) {
        if (agentUrl != null) {
            URI uri = URI.create(agentUrl);
            return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
        }
        String host = address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
        return URI.create("http://" + host + ":" + defaultPort);
    }

    /** Leaves the token out: requests get logged. */
    @Override
    public String toString() {
        return "HostJoinRequest[address=" + address + ", agentUrl=" + agentUrl + ", agentToken=" + (agentToken == null ? "none" : "***") + "]";
    }
}
