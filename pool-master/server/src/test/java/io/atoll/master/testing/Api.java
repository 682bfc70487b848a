package io.atoll.master.testing;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small helpers for the master's API tests. */
public final class Api {
    private static final Set<String> FINISHED = Set.of("SUCCESS", "FAILURE", "CANCELLED");

    private Api() {
    }

    /** A JSON request against the master under test, as a pool-admin ({@link TestAuth}). */
    public static RequestSpecification api() {
        return as(io.atoll.master.auth.Roles.POOL_ADMIN);
    }

    /** A JSON request as a user of this role. */
    public static RequestSpecification as(String role) {
        return withToken(TestAuth.token(role));
    }

    /** A JSON request with this bearer token. */
    public static RequestSpecification withToken(String token) {
        return anonymous().header("Authorization", "Bearer " + token);
    }

    /** A JSON request without any token. */
    public static RequestSpecification anonymous() {
        return given().contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    /** Polls the task until it has finished (bounded), and answers it. */
    public static JsonPath awaitTask(String uuid, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            JsonPath task = api().get("/api/v1/tasks/" + uuid).then().statusCode(200).extract().jsonPath();
            if (FINISHED.contains(task.getString("status"))) {
                return task;
            }
            assertThat(System.nanoTime()).as("task %s finished within %s (now %s)", uuid, limit, task.prettify()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** The id of the newest audit record (0 when there is none): what a test reads the audit after. */
    public static long lastAuditId() {
        List<Map<String, Object>> all = api().get("/api/v1/audit?limit=1000").then().extract().jsonPath().getList("");
        long last = 0;
        while (!all.isEmpty()) {
            last = ((Number) all.get(all.size() - 1).get("id")).longValue();
            all = api().get("/api/v1/audit?after=" + last + "&limit=1000").then().extract().jsonPath().getList("");
        }
        return last;
    }

    /** Polls until the condition holds (bounded). */
    public static void await(String what, Duration limit, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("%s within %s", what, limit).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
