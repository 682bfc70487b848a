package io.atoll.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** The pool master's REST API as a benchmark client sees it: JSON trees, a bearer token, every call bounded. */
final class MasterApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BOUND = Duration.ofMinutes(5);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String base;
    private String token;
    /** The size of the last answer {@link #timedGet} read, in bytes. */
    volatile int lastBytes;

    MasterApi(String base) {
        this.base = base;
    }

    /** Logs in; later calls carry the session token. */
    void login(String username, String password) throws IOException, InterruptedException {
        token = call("POST", "/api/v1/session/login", Map.of("username", username, "password", password), 200).path("token").asText();
    }

    /** A call that must answer {@code expected}; its JSON body, or {@code null} when empty. */
    JsonNode call(String method, String path, Object body, int expected) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = send(method, path, body);
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + ": expected " + expected + ", got " + r.statusCode() + " "
                    + new String(r.body()));
        }
        return r.body().length == 0 ? null : JSON.readTree(r.body());
    }

    /** A GET timed from sending to the last byte of the answer, in ms; it must answer 200. */
    double timedGet(String path) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r = send("GET", path, null);
        double ms = (System.nanoTime() - t0) / 1e6;
        lastBytes = r.body().length;
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + new String(r.body()));
        }
        return ms;
    }

    private HttpResponse<byte[]> send(String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(BOUND).header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
