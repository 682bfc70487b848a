package io.atoll.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;

/**
 * The pool master's REST API over the JDK's HTTP client. Every non-2xx answer becomes a
 * {@link CliException} carrying the server's {@code code}, {@code message} and {@code object};
 * a server that cannot be reached becomes one naming its URL.
 */
public final class MasterClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final URI server;
    private final String token;
    private final HttpClient http;
    private final java.util.List<URI> servers;
    private static final Duration TAKEOVER_WAIT = Duration.ofSeconds(20);

    /**
     * @param server the master's base URL ({@code http://127.0.0.1:7400})
     * @param token a bearer token, or {@code null} to send none
     */
    public MasterClient(URI server, String token) {
        this(java.util.List.of(server), token);
    }

    /**
     * A pool with several master instances: the first that answers as the active master serves.
     * A standby's redirect (307) to the active instance is followed; an instance that cannot be
     * reached, or answers that a take-over is under way (503 {@code NOT_ACTIVE_MASTER}), hands on
     * to the next, and the list is tried again for up to {@code TAKEOVER_WAIT}.
     */
    public MasterClient(java.util.List<URI> servers, String token) {
        this.servers = java.util.List.copyOf(servers);
        this.server = servers.get(0);
        this.token = token;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    public URI server() {
        return server;
    }

    public JsonNode get(String path) {
        return send("GET", path, null, REQUEST_TIMEOUT);
    }

    /** A GET that may wait on the server (a long poll): the timeout covers its wait. */
    public JsonNode get(String path, Duration timeout) {
        return send("GET", path, null, timeout);
    }

    public JsonNode post(String path, JsonNode body) {
        return send("POST", path, body, REQUEST_TIMEOUT);
    }

    public JsonNode put(String path, JsonNode body) {
        return send("PUT", path, body, REQUEST_TIMEOUT);
    }

    public JsonNode delete(String path) {
        return send("DELETE", path, null, REQUEST_TIMEOUT);
    }

    /** The answer's JSON, or a missing node for an empty answer (204); several master instances are tried in turn. */
    JsonNode send(String method, String path, JsonNode body, Duration timeout) {
        if (servers.size() == 1) {
            return send(server, method, path, body, timeout);
        }
        long deadline = System.nanoTime() + TAKEOVER_WAIT.toNanos();
        CliException last = null;
        while (true) {
            for (URI candidate : servers) {
                try {
                    return send(candidate, method, path, body, timeout);
                } catch (CliException e) {
                    boolean tryNext = e.exitCode() == CliException.UNREACHABLE || "NOT_ACTIVE_MASTER".equals(e.code());
                    if (!tryNext) {
                        throw e;
                    }
                    last = e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw last;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CliException.local("INTERRUPTED", "interrupted while looking for the active master");
            }
        }
    }

    private JsonNode send(URI server, String method, String path, JsonNode body, Duration timeout) {
        URI uri = server.resolve(path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json");
        if (token != null && !token.isBlank()) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else if ("POST".equals(method)) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException e) {
            throw unreachable(server, "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            throw unreachable(server, "no answer within " + timeout.toSeconds() + " s to " + method + " " + path);
        } catch (ConnectException e) {
            throw unreachable(server, e.getCause() instanceof UnresolvedAddressException ? "unknown host " + server.getHost()
                    : "connection refused (is the master running there? give --server URL or set ATOLL_SERVER)");
        } catch (IOException e) {
            throw unreachable(server, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.local("INTERRUPTED", "interrupted while waiting for " + server);
        }
        return answer(method, path, response.statusCode(), response.body());
    }

    private static CliException unreachable(URI server, String why) {
        return new CliException("SERVER_UNREACHABLE", "cannot reach the pool master at " + server + ": " + why, null, CliException.UNREACHABLE);
    }

    /** Parses a 2xx body, or turns an error answer into the exception the user sees. */
    static JsonNode answer(String method, String path, int status, String body) {
        JsonNode json = null;
        if (body != null && !body.isBlank()) {
            try {
                json = JSON.readTree(body);
            } catch (JsonProcessingException e) {
                json = null;
            }
        }
        if (status >= 200 && status < 300) {
            if (json == null && body != null && !body.isBlank()) {
                throw CliException.refused("BAD_ANSWER", method + " " + path + " answered " + status + " with something that is not JSON: "
                        + abbreviate(body), null);
            }
            return json == null ? JSON.missingNode() : json;
        }
        if (json != null && json.hasNonNull("code") && json.path("code").isTextual()) {
            String message = json.path("message").asText("");
            if (status == 401 && "UNAUTHORIZED".equals(json.path("code").asText())) {
                message += " (atoll login --user NAME, or --token)";
            }
            return throwRefusal(json.path("code").asText(), message, json.path("object").isNull() ? null : json.path("object").asText(null));
        }
        String what = switch (status) {
            case 401 -> "the server wants a login: run atoll login --server URL --user NAME, or give --token";
            case 403 -> "your role does not allow " + method + " " + path;
            default -> method + " " + path + " answered HTTP " + status + (body == null || body.isBlank() ? "" : ": " + abbreviate(body));
        };
        String code = switch (status) {
            case 401 -> "UNAUTHORIZED";
            case 403 -> "FORBIDDEN";
            case 404 -> "NOT_FOUND";
            default -> "HTTP_" + status;
        };
        return throwRefusal(code, what, null);
    }

    private static JsonNode throwRefusal(String code, String message, String object) {
        throw CliException.refused(code, message, object);
    }

    private static String abbreviate(String s) {
        String line = s.strip().replaceAll("\\s+", " ");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
