package io.atoll.master;

import static io.atoll.master.testing.Api.anonymous;
import static io.atoll.master.testing.Api.api;
import static io.atoll.master.testing.Api.as;
import static io.atoll.master.testing.Api.withToken;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.atoll.master.auth.Roles;
import io.atoll.master.testing.Api;
import io.atoll.master.testing.PostgresServer;
import io.atoll.master.testing.TestAuth;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Users, logins, API tokens, the first admin and the audit log. */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class SecurityTest {

    @Inject
    EntityManager em;

    @Inject
    MasterConfig config;

    @Test
    void theFirstAdminsPasswordIsInAFileOnlyItsOwnerReads() throws Exception {
        Path file = config.dataDir().resolve("admin-password");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String password = Files.readString(file).trim();
        assertThat(password).hasSizeGreaterThanOrEqualTo(20);
        String token = login("admin", password).then().statusCode(200).body("role", equalTo(Roles.POOL_ADMIN)).extract().path("token");
        withToken(token).get("/api/v1/users").then().statusCode(200).body("username", hasItem("admin"))
                .body(not(containsString(password)));
    }

    @Test
    void aSessionWorksUntilLogoutOrExpiry() {
        String name = "alice-" + suffix();
        api().body(Map.of("username", name, "password", "alice-password-1", "role", Roles.VM_OPERATOR)).post("/api/v1/users").then()
                .statusCode(201).body("role", equalTo(Roles.VM_OPERATOR)).body(not(containsString("alice-password-1")));

        // A wrong password and an unknown user get the same answer.
        login(name, "wrong-password").then().statusCode(401).body("code", equalTo("UNAUTHORIZED"))
                .body("message", equalTo("wrong user name or password"));
        login("nobody-" + suffix(), "wrong-password").then().statusCode(401).body("message", equalTo("wrong user name or password"));

        JsonPath session = login(name, "alice-password-1").then().statusCode(200).extract().jsonPath();
        String token = session.getString("token");
        assertThat(token).startsWith("atl_");
        assertThat(Instant.parse(session.getString("expiresAt"))).isAfter(Instant.now().plusSeconds(3600));
        withToken(token).get("/api/v1/vms").then().statusCode(200);
        withToken(token).body("{\"name\": \"x\"}").post("/api/v1/vms").then().statusCode(403)
                .body("message", containsString("needs role vm-admin or above; user '" + name + "' has role vm-operator"));
        withToken(token).post("/api/v1/session/logout").then().statusCode(204);
        withToken(token).get("/api/v1/vms").then().statusCode(401);

        // Expiry: the token row's expiry moved into the past, as time would.
        String second = login(name, "alice-password-1").then().statusCode(200).extract().path("token");
        withToken(second).get("/api/v1/vms").then().statusCode(200);
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                "update auth_token set expires_at = :past where user_uuid = (select uuid from app_user where username = :name)")
                .setParameter("past", Instant.now().minusSeconds(1)).setParameter("name", name).executeUpdate());
        withToken(second).get("/api/v1/vms").then().statusCode(401).body("code", equalTo("UNAUTHORIZED"));
    }

    @Test
    void usersRolesAndPasswordsAreManagedByAPoolAdmin() {
        String name = "bob-" + suffix();
        String uuid = api().body(Map.of("username", name, "password", "bob-password-1", "role", Roles.READ_ONLY)).post("/api/v1/users")
                .then().statusCode(201).extract().path("uuid");
        api().body(Map.of("username", name, "password", "bob-password-2", "role", Roles.READ_ONLY)).post("/api/v1/users").then()
                .statusCode(409).body("code", equalTo("USER_NAME_TAKEN"));
        api().body(Map.of("username", "carol", "password", "short", "role", Roles.READ_ONLY)).post("/api/v1/users").then()
                .statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("at least 10"));
        api().body(Map.of("username", "carol", "password", "long-enough-1", "role", "root")).post("/api/v1/users").then()
                .statusCode(400).body("code", equalTo("INVALID_SPEC")).body("message", containsString("vm-power-admin, pool-operator, pool-admin"));

        String token = login(name, "bob-password-1").then().statusCode(200).extract().path("token");
        withToken(token).post("/api/v1/hosts/" + UUID.randomUUID() + "/disable").then().statusCode(403);
        // A new role applies at the next request.
        api().body(Map.of("role", Roles.POOL_OPERATOR)).put("/api/v1/users/" + uuid + "/role").then().statusCode(200)
                .body("role", equalTo(Roles.POOL_OPERATOR));
        withToken(token).post("/api/v1/hosts/" + UUID.randomUUID() + "/disable").then().statusCode(404);
        // A new password ends the sessions and replaces the old one.
        api().body(Map.of("password", "bob-password-3")).put("/api/v1/users/" + uuid + "/password").then().statusCode(200);
        withToken(token).get("/api/v1/vms").then().statusCode(401);
        login(name, "bob-password-1").then().statusCode(401);
        String again = login(name, "bob-password-3").then().statusCode(200).extract().path("token");
        api().delete("/api/v1/users/" + uuid).then().statusCode(204);
        withToken(again).get("/api/v1/vms").then().statusCode(401);
        api().get("/api/v1/users/" + uuid).then().statusCode(404).body("code", equalTo("USER_NOT_FOUND"));
    }

    @Test
    void apiTokensAreShownOnceListedAndRevoked() {
        String token = as(Roles.VM_ADMIN).body("{\"name\": \"backup script\", \"expiresInDays\": 30}").post("/api/v1/tokens").then()
                .statusCode(201).body("name", equalTo("backup script")).body("role", equalTo(Roles.VM_ADMIN)).extract().path("token");
        String id = withToken(token).get("/api/v1/tokens").then().statusCode(200).body("name", hasItem("backup script"))
                .body(not(containsString(token))).extract().jsonPath().getString("find { it.name == 'backup script' }.id");
        withToken(token).body("{\"name\": \"x\", \"memoryMiB\": 16}").post("/api/v1/vms").then().statusCode(201);
        // Another user cannot see or revoke it.
        as(Roles.READ_ONLY).delete("/api/v1/tokens/" + id).then().statusCode(404).body("code", equalTo("TOKEN_NOT_FOUND"));
        as(Roles.VM_ADMIN).delete("/api/v1/tokens/" + id).then().statusCode(204);
        withToken(token).get("/api/v1/vms").then().statusCode(401);
        as(Roles.VM_ADMIN).body("{\"name\": \"x\", \"expiresInDays\": 0}").post("/api/v1/tokens").then().statusCode(400)
                .body("code", equalTo("INVALID_SPEC"));
    }

    @Test
    void everyWriteIsAuditedAndNoSecretIsRecorded() {
        long from = Api.lastAuditId();
        String name = "dave-" + suffix();
        String password = "dave-secret-password";
        String uuid = api().body(Map.of("username", name, "password", password, "role", Roles.VM_OPERATOR)).post("/api/v1/users").then()
                .statusCode(201).extract().path("uuid");
        String token = login(name, password).then().statusCode(200).extract().path("token");
        login(name, "wrong-password").then().statusCode(401);
        String apiToken = withToken(token).body("{\"name\": \"cron\"}").post("/api/v1/tokens").then().statusCode(201).extract().path("token");
        String vm = UUID.randomUUID().toString();
        withToken(token).post("/api/v1/vms/" + vm + "/start").then().statusCode(404);
        withToken(token).delete("/api/v1/vms/" + vm).then().statusCode(403);
        anonymous().post("/api/v1/vms/" + vm + "/start").then().statusCode(401);
        withToken(token).get("/api/v1/vms").then().statusCode(200); // a read: not audited

        String body = api().get("/api/v1/audit?after=" + from + "&limit=1000").then().statusCode(200).extract().asString();
        assertThat(body).doesNotContain(password).doesNotContain(token).doesNotContain(apiToken).doesNotContain("wrong-password");
        List<Map<String, Object>> records = api().get("/api/v1/audit?after=" + from + "&limit=1000").then().extract().jsonPath().getList("");
        List<String> seen = records.stream().map(r -> r.get("username") + " " + r.get("method") + " " + r.get("path") + " " + r.get("object")
                + " " + r.get("status") + " " + r.get("errorCode")).toList();
        assertThat(seen).containsSubsequence(
                TestAuth.username(Roles.POOL_ADMIN) + " POST /api/v1/users user " + uuid + " 201 null",
                name + " POST /api/v1/session/login user " + name + " 200 null",
                name + " POST /api/v1/session/login user " + name + " 401 UNAUTHORIZED",
                name + " POST /api/v1/vms/" + vm + "/start vm " + vm + " 404 VM_NOT_FOUND",
                name + " DELETE /api/v1/vms/" + vm + " vm " + vm + " 403 FORBIDDEN",
                "null POST /api/v1/vms/" + vm + "/start vm " + vm + " 401 UNAUTHORIZED");
        assertThat(seen).anyMatch(s -> s.matches(name + " POST /api/v1/tokens token [0-9a-f-]{36} 201 null"));
        assertThat(seen).noneMatch(s -> s.contains("GET "));
        assertThat(records.stream().map(r -> ((Number) r.get("id")).longValue()).toList()).isSorted();
        // Paging by id: after the last one, nothing.
        long last = ((Number) records.get(records.size() - 1).get("id")).longValue();
        api().get("/api/v1/audit?after=" + last).then().statusCode(200).body("size()", equalTo(0));
        api().get("/api/v1/audit?after=" + from + "&limit=1").then().body("size()", equalTo(1)).body("[0].role", equalTo(Roles.POOL_ADMIN));
        api().get("/api/v1/audit?limit=0").then().statusCode(400);
    }

    @Test
    void healthOpenApiAndLoginStayOpen() {
        anonymous().get("/q/health").then().statusCode(200);
        anonymous().get("/q/openapi").then().statusCode(200);
        anonymous().body("{}").post("/api/v1/session/login").then().statusCode(400).body("code", equalTo("INVALID_SPEC"));
    }

    private static io.restassured.response.Response login(String username, String password) {
        return anonymous().body(Map.of("username", username, "password", password)).post("/api/v1/session/login");
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
