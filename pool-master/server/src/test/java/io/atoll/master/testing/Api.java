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

    /** Polls the task until it has finished (bounded), and checks that it succeeded. */
    public static JsonPath succeeded(String uuid, Duration limit) throws InterruptedException {
        JsonPath done = awaitTask(uuid, limit);
        assertThat(done.getString("status")).as("task %s: %s", uuid, done.prettify()).isEqualTo("SUCCESS");
        return done;
    }

    /**
     * What a class of tests leaves behind, cleared: every VM resident on {@code host} shut down
     * hard, every VM destroyed, the host ejected. For {@code @AfterAll}, where RestAssured's
     * address is no longer set: {@code master} is the application's URL ({@code @TestHTTPResource}).
     */
    public static void clearPool(java.net.URL master, String host, Duration limit) throws InterruptedException {
        io.restassured.RestAssured.baseURI = master.toString().replaceAll("/$", "");
        io.restassured.RestAssured.port = master.getPort();
        for (var vm : api().get("/api/v1/vms").then().extract().jsonPath().getList("", java.util.Map.class)) {
            if (host.equals(vm.get("residentOn"))) {
                awaitTask(api().body("{\"force\": true}").post("/api/v1/vms/" + vm.get("uuid") + "/shutdown").then()
                        .extract().path("uuid"), limit);
            }
            awaitTask(api().delete("/api/v1/vms/" + vm.get("uuid")).then().extract().path("uuid"), limit);
        }
        api().delete("/api/v1/hosts/" + host).then().statusCode(204);
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
