package io.atoll.master;

import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.awaitTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.master.testing.PostgresServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Following the pool with GET /api/v1/events: a long poll that wakes on the next change, events in order. */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class EventsTest {

    @Test
    void aLongPollWakesOnTheNextChangeAndEventsComeInOrder() throws Exception {
        // Without 'from': no events, just the point to follow from.
        JsonPath now = api().get("/api/v1/events").then().statusCode(200).extract().jsonPath();
        assertThat(now.getList("events")).isEmpty();
        long token = now.getLong("token");

        // A reader waits; it is answered when the VM is created, not at its timeout.
        long asked = System.nanoTime();
        CompletableFuture<JsonPath> waiting = CompletableFuture.supplyAsync(() ->
                api().get("/api/v1/events?from=" + token + "&timeout=30").then().statusCode(200).extract().jsonPath());
        Thread.sleep(300);
        assertThat(waiting).as("the poll waits while nothing changes").isNotDone();
        String vm = api().body("{\"name\": \"followed\", \"memoryMiB\": 32}").post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        JsonPath woke = waiting.get(10, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(10));
        assertThat(woke.getList("events.class")).containsExactly("vm");
        assertThat(woke.getString("events[0].operation")).isEqualTo("add");
        assertThat(woke.getString("events[0].ref")).isEqualTo(vm);
        assertThat(woke.getString("events[0].snapshot.name")).isEqualTo("followed");
        assertThat(woke.getString("events[0].snapshot.powerState")).isEqualTo("HALTED");
        long afterAdd = woke.getLong("token");
        assertThat(afterAdd).isEqualTo(woke.getLong("events[0].id")).isEqualTo(token + 1);

        // Destroying it: the task, the VM locked by it, the task's progress, the VM deleted — in that order.
        String task = api().delete("/api/v1/vms/" + vm).then().statusCode(202).extract().path("uuid");
        awaitTask(task, Duration.ofSeconds(10));
        List<Map<String, Object>> events = new ArrayList<>();
        long from = afterAdd;
        while (events.stream().noneMatch(e -> "del".equals(e.get("operation")))) {
            JsonPath batch = api().get("/api/v1/events?from=" + from + "&timeout=5").then().statusCode(200).extract().jsonPath();
            assertThat(batch.getList("events")).as("events up to the VM's deletion").isNotEmpty();
            events.addAll(batch.getList("events"));
            from = batch.getLong("token");
        }
        List<String> seen = events.stream().map(e -> e.get("class") + " " + e.get("operation") + " "
                + (e.get("class").equals("task") ? ((Map<?, ?>) e.get("snapshot")).get("status") : "")).map(String::trim).toList();
        assertThat(seen).containsSubsequence("task add PENDING", "vm mod", "task mod RUNNING", "vm del", "task mod SUCCESS");
        Map<?, ?> locked = events.stream().filter(e -> "vm".equals(e.get("class")) && "mod".equals(e.get("operation"))).findFirst()
                .map(e -> (Map<?, ?>) e.get("snapshot")).orElseThrow();
        assertThat(((Map<?, ?>) locked.get("currentOperation")).get("operation")).isEqualTo("destroy");
        for (int i = 1; i < events.size(); i++) {
            assertThat(((Number) events.get(i).get("id")).longValue()).as("ids grow by one")
                    .isEqualTo(((Number) events.get(i - 1).get("id")).longValue() + 1);
        }

        // Nothing new: the poll answers at its timeout with no events and the same token.
        long quiet = System.nanoTime();
        api().get("/api/v1/events?from=" + from + "&timeout=1").then().statusCode(200)
                .body("events.size()", equalTo(0)).body("token", equalTo((int) from));
        assertThat(Duration.ofNanos(System.nanoTime() - quiet)).isGreaterThanOrEqualTo(Duration.ofMillis(900));

        // A token this pool never gave out is refused rather than silently skipping events.
        api().get("/api/v1/events?from=" + (from + 1000)).then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
    }

    @Test
    void concurrentWritersNeverHideAnEventFromAReader() throws Exception {
        long token = api().get("/api/v1/events").then().extract().jsonPath().getLong("token");
        int writers = 4;
        int each = 5;
        List<CompletableFuture<Void>> writing = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            writing.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < each; i++) {
                    api().body("{\"name\": \"burst-" + writer + "-" + i + "\", \"memoryMiB\": 32}").post("/api/v1/vms").then().statusCode(201);
                }
            }));
        }
        // The reader follows while they write; with ids taken under the clock lock it can never step over one.
        List<Map<String, Object>> seen = new ArrayList<>();
        long from = token;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seen.stream().filter(e -> "vm".equals(e.get("class"))).count() < writers * each) {
            assertThat(System.nanoTime()).as("all creations seen").isLessThan(deadline);
            JsonPath batch = api().get("/api/v1/events?from=" + from + "&timeout=5").then().statusCode(200).extract().jsonPath();
            seen.addAll(batch.getList("events"));
            from = batch.getLong("token");
        }
        CompletableFuture.allOf(writing.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (int i = 0; i < seen.size(); i++) {
            assertThat(((Number) seen.get(i).get("id")).longValue()).isEqualTo(token + 1 + i);
        }
        assertThat(seen.stream().map(e -> ((Map<?, ?>) e.get("snapshot")).get("name")).distinct().count()).isEqualTo(writers * each);

        List<String> destroys = seen.stream().map(e -> api().delete("/api/v1/vms/" + e.get("ref")).then().statusCode(202)
                .extract().<String>path("uuid")).toList();
        for (String task : destroys) {
            assertThat(awaitTask(task, Duration.ofSeconds(30)).getString("status")).isEqualTo("SUCCESS");
        }
    }
}
