package io.atoll.master.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Server-Sent Events reader for the tests: one connection, its events (id, name, data) queued as
 * they arrive; {@link #close()} hangs up as a browser tab would.
 */
public final class SseClient implements AutoCloseable {
    /** One SSE event; {@code id} and {@code name} are null when the server sent none. */
    public record SseEvent(String id, String name, String data) {
    }

    private final HttpResponse<Stream<String>> response;
    private final BlockingQueue<SseEvent> events = new LinkedBlockingQueue<>();
    private final Thread reader;

    private SseClient(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Opens {@code uri} with {@code headers} (a bearer token goes here once the API wants one).
     * Answers the client whatever the status; {@link #status()} tells it.
     */
    public static SseClient open(URI uri, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET();
        headers.forEach(request::header);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return new SseClient(http.send(request.build(), HttpResponse.BodyHandlers.ofLines()));
    }

    public int status() {
        return response.statusCode();
    }

    public String contentType() {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    /** The next event, waiting up to {@code limit}; null when none came. */
    public SseEvent next(Duration limit) throws InterruptedException {
        return events.poll(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void read() {
        Map<String, String> fields = new HashMap<>();
        StringBuilder data = new StringBuilder();
        try (Stream<String> lines = response.body()) {
            lines.forEach(line -> {
                if (line.isEmpty()) {
                    if (data.length() > 0 || fields.containsKey("id")) {
                        events.add(new SseEvent(fields.get("id"), fields.get("event"), data.toString()));
                    }
                    fields.clear();
                    data.setLength(0);
                } else if (!line.startsWith(":")) {
                    int colon = line.indexOf(':');
                    String name = colon < 0 ? line : line.substring(0, colon);
                    String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
                    if (name.equals("data")) {
                        data.append(data.length() > 0 ? "\n" : "").append(value);
                    } else {
                        fields.put(name, value);
                    }
                }
            });
        } catch (RuntimeException closed) {
            // the connection was closed
        }
    }

    @Override
    public void close() {
        response.body().close();
        reader.interrupt();
    }
}
