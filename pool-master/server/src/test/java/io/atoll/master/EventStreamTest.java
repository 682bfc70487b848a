package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.master.auth.Roles;
import io.atoll.master.event.EventStreams;
import io.atoll.master.testing.PostgresServer;
import io.atoll.master.testing.SseClient;
import io.atoll.master.testing.SseClient.SseEvent;
import io.atoll.master.testing.TestAuth;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Following the pool with GET /api/v1/events/stream (Server-Sent Events), on the in-process bus. */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class EventStreamTest {
    /** What every request of this class carries: a read-only user's bearer token. */
    static final Map<String, String> AUTH = TestAuth.header(Roles.READ_ONLY);

    @TestHTTPResource("/api/v1/events/stream")
    URI stream;

    @Inject
    EventStreams streams;

    @Test
    void aStreamReplaysFromItsTokenThenFollowsWithoutGapsOrDuplicates() throws Exception {
        long token = api().get("/api/v1/events").then().statusCode(200).extract().jsonPath().getLong("token");
        // Two changes before the client connects: the stream must start with them.
        String first = createVm("sse-before-1");
        String second = createVm("sse-before-2");

        try (SseClient client = SseClient.open(URI.create(stream + "?from=" + token), AUTH)) {
            assertThat(client.status()).isEqualTo(200);
            assertThat(client.contentType()).startsWith("text/event-stream");
            List<SseEvent> seen = new ArrayList<>(take(client, 2));
            // And the changes after it connected, as they happen.
            String third = createVm("sse-after");
            seen.addAll(take(client, 1));

            for (int i = 0; i < seen.size(); i++) {
                SseEvent event = seen.get(i);
                JsonPath data = JsonPath.from(event.data());
                assertThat(event.id()).as("the SSE id is the event's token").isEqualTo(Long.toString(token + 1 + i));
                assertThat(event.name()).isEqualTo("event");
                assertThat(data.getLong("id")).isEqualTo(token + 1 + i);
                assertThat(data.getString("class")).isEqualTo("vm");
                assertThat(data.getString("operation")).isEqualTo("add");
            }
            assertThat(seen.stream().map(e -> JsonPath.from(e.data()).getString("ref"))).containsExactly(first, second, third);
            assertThat(client.next(Duration.ofMillis(300))).as("nothing more, no duplicate").isNull();

            // A reconnecting EventSource sends Last-Event-ID, which wins over 'from'.
            try (SseClient again = SseClient.open(URI.create(stream + "?from=" + token), headers("Last-Event-ID", Long.toString(token + 2)))) {
                assertThat(JsonPath.from(take(again, 1).get(0).data()).getString("ref")).isEqualTo(third);
                assertThat(again.next(Duration.ofMillis(300))).isNull();
            }
        }
        // The client went away: the heartbeat (1 s in tests) finds it and the stream ends.
        await("streams closed after their clients left", Duration.ofSeconds(10), () -> streams.openStreams() == 0);
    }

    @Test
    void withoutATokenAStreamStartsNowAndABadTokenIsRefused() throws Exception {
        createVm("sse-old");
        try (SseClient client = SseClient.open(stream, AUTH)) {
            assertThat(client.next(Duration.ofMillis(300))).as("no history without a token").isNull();
            String vm = createVm("sse-new");
            assertThat(JsonPath.from(take(client, 1).get(0).data()).getString("ref")).isEqualTo(vm);
        }
        long token = api().get("/api/v1/events").then().extract().jsonPath().getLong("token");
        try (SseClient ahead = SseClient.open(URI.create(stream + "?from=" + (token + 1000)), AUTH)) {
            assertThat(ahead.status()).isEqualTo(400);
        }
        try (SseClient malformed = SseClient.open(URI.create(stream + "?from=yesterday"), AUTH)) {
            assertThat(malformed.status()).isEqualTo(400);
        }
        try (SseClient anonymous = SseClient.open(stream, Map.of())) {
            assertThat(anonymous.status()).as("no token, no stream").isEqualTo(401);
        }
    }

    private static Map<String, String> headers(String name, String value) {
        Map<String, String> headers = new java.util.HashMap<>(AUTH);
        headers.put(name, value);
        return headers;
    }

    private static String createVm(String name) {
        return api().body("{\"name\": \"" + name + "\", \"memoryMiB\": 32}").post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
    }

    private static List<SseEvent> take(SseClient client, int count) throws InterruptedException {
        List<SseEvent> events = new ArrayList<>();
        while (events.size() < count) {
            SseEvent event = client.next(Duration.ofSeconds(10));
            assertThat(event).as("event %d of %d within 10 s", events.size() + 1, count).isNotNull();
            events.add(event);
        }
        return events;
    }
}
