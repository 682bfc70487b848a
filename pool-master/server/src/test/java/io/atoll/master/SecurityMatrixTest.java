package io.atoll.master;

import static io.atoll.master.testing.Api.anonymous;
import static io.atoll.master.testing.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.atoll.master.auth.Roles;
import io.atoll.master.testing.PostgresServer;
import io.atoll.master.testing.TestAuth;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every endpoint × every role: 403 FORBIDDEN exactly where the role is below the endpoint's
 * minimum, something else everywhere else. The requests would fail fast past the check (unknown
 * ids → 404, bodies refused → 400), so no real work runs; a 401 without a token everywhere.
 */
@QuarkusTest
@WithTestResource(PostgresServer.class)
class SecurityMatrixTest {
    private static final String ID = UUID.randomUUID().toString();

    /** METHOD, path, body (or null), the lowest role allowed. */
    static final List<String[]> ENDPOINTS = List.of(
            e("GET", "/api/v1/pool", null, Roles.READ_ONLY),
            e("GET", "/api/v1/pool/join-tokens", null, Roles.POOL_ADMIN),
            e("POST", "/api/v1/pool/join-tokens", "{\"uses\": 0}", Roles.POOL_ADMIN),
            e("DELETE", "/api/v1/pool/join-tokens/" + ID, null, Roles.POOL_ADMIN),
            e("GET", "/api/v1/hosts", null, Roles.READ_ONLY),
            e("GET", "/api/v1/hosts/" + ID, null, Roles.READ_ONLY),
            e("POST", "/api/v1/hosts", "{\"agentUrl\": \"ftp://10.0.0.5\"}", Roles.POOL_ADMIN),
            e("DELETE", "/api/v1/hosts/" + ID, null, Roles.POOL_ADMIN),
            e("POST", "/api/v1/hosts/" + ID + "/disable", null, Roles.POOL_OPERATOR),
            e("POST", "/api/v1/hosts/" + ID + "/enable", null, Roles.POOL_OPERATOR),
            e("GET", "/api/v1/vms", null, Roles.READ_ONLY),
            e("GET", "/api/v1/vms/" + ID, null, Roles.READ_ONLY),
            e("POST", "/api/v1/vms", "{\"name\": \"x\"}", Roles.VM_ADMIN),
            e("DELETE", "/api/v1/vms/" + ID, null, Roles.VM_ADMIN),
            e("POST", "/api/v1/vms/" + ID + "/start", null, Roles.VM_OPERATOR),
            e("POST", "/api/v1/vms/" + ID + "/shutdown", null, Roles.VM_OPERATOR),
            e("POST", "/api/v1/vms/" + ID + "/reboot", null, Roles.VM_OPERATOR),
            e("POST", "/api/v1/vms/" + ID + "/pause", null, Roles.VM_OPERATOR),
            e("POST", "/api/v1/vms/" + ID + "/unpause", null, Roles.VM_OPERATOR),
            e("POST", "/api/v1/vms/" + ID + "/suspend", null, Roles.VM_OPERATOR),
            e("POST", "/api/v1/vms/" + ID + "/resume", null, Roles.VM_OPERATOR),
            e("POST", "/api/v1/vms/" + ID + "/snapshot", "{\"name\": \"s\"}", Roles.VM_POWER_ADMIN),
            e("POST", "/api/v1/vms/" + ID + "/clone", "{\"name\": \"c\"}", Roles.VM_ADMIN),
            e("POST", "/api/v1/vms/" + ID + "/revert", "{\"snapshot\": \"" + ID + "\"}", Roles.VM_POWER_ADMIN),
            e("POST", "/api/v1/vms/" + ID + "/template", null, Roles.VM_ADMIN),
            e("GET", "/api/v1/srs", null, Roles.READ_ONLY),
            e("GET", "/api/v1/srs/" + ID, null, Roles.READ_ONLY),
            e("GET", "/api/v1/srs/" + ID + "/vdis", null, Roles.READ_ONLY),
            e("POST", "/api/v1/srs", "{\"name\": \"..\", \"type\": \"local\"}", Roles.POOL_OPERATOR),
            e("POST", "/api/v1/srs/" + ID + "/scan", null, Roles.VM_POWER_ADMIN),
            e("POST", "/api/v1/srs/" + ID + "/attach", "{\"host\": \"" + ID + "\"}", Roles.POOL_OPERATOR),
            e("POST", "/api/v1/srs/" + ID + "/detach", "{\"host\": \"" + ID + "\"}", Roles.POOL_OPERATOR),
            e("DELETE", "/api/v1/srs/" + ID, null, Roles.POOL_OPERATOR),
            e("GET", "/api/v1/vdis", null, Roles.READ_ONLY),
            e("GET", "/api/v1/vdis/" + ID, null, Roles.READ_ONLY),
            e("POST", "/api/v1/vdis", "{\"name\": \"x\"}", Roles.VM_ADMIN),
            e("POST", "/api/v1/vdis/" + ID + "/resize", "{\"sizeBytes\": 512}", Roles.VM_ADMIN),
            e("DELETE", "/api/v1/vdis/" + ID, null, Roles.VM_ADMIN),
            e("GET", "/api/v1/pool/ha", null, Roles.READ_ONLY),
            e("PUT", "/api/v1/pool/ha", "{\"hostFailuresToTolerate\": -1}", Roles.POOL_ADMIN),
            e("GET", "/api/v1/pool/masters", null, Roles.READ_ONLY),
            e("DELETE", "/api/v1/pool/masters/retired", null, Roles.POOL_ADMIN),
            e("GET", "/api/v1/alerts", null, Roles.READ_ONLY),
            e("GET", "/api/v1/vms/" + ID + "/ha", null, Roles.READ_ONLY),
            e("PUT", "/api/v1/vms/" + ID + "/ha", "{\"restartPriority\": \"restart\"}", Roles.POOL_OPERATOR),
            e("GET", "/api/v1/networks", null, Roles.READ_ONLY),
            e("GET", "/api/v1/networks/" + ID, null, Roles.READ_ONLY),
            e("POST", "/api/v1/networks", "{\"name\": \"\"}", Roles.POOL_OPERATOR),
            e("DELETE", "/api/v1/networks/" + ID, null, Roles.POOL_OPERATOR),
            e("PUT", "/api/v1/networks/" + ID + "/hosts/" + ID, "{\"pif\": \"eth1\"}", Roles.POOL_OPERATOR),
            e("POST", "/api/v1/vms/" + ID + "/vifs", "{\"network\": \"n\"}", Roles.VM_ADMIN),
            e("DELETE", "/api/v1/vms/" + ID + "/vifs/nic0", null, Roles.VM_ADMIN),
            e("GET", "/api/v1/tasks", null, Roles.READ_ONLY),
            e("GET", "/api/v1/tasks/" + ID, null, Roles.READ_ONLY),
            e("GET", "/api/v1/users", null, Roles.POOL_ADMIN),
            e("GET", "/api/v1/users/" + ID, null, Roles.POOL_ADMIN),
            e("POST", "/api/v1/users", "{\"username\": \"Not Valid\", \"password\": \"x\", \"role\": \"read-only\"}", Roles.POOL_ADMIN),
            e("DELETE", "/api/v1/users/" + ID, null, Roles.POOL_ADMIN),
            e("PUT", "/api/v1/users/" + ID + "/password", "{\"password\": \"long-enough-password\"}", Roles.POOL_ADMIN),
            e("PUT", "/api/v1/users/" + ID + "/role", "{\"role\": \"read-only\"}", Roles.POOL_ADMIN),
            e("GET", "/api/v1/audit", null, Roles.POOL_ADMIN),
            e("GET", "/api/v1/tokens", null, Roles.READ_ONLY),
            e("POST", "/api/v1/tokens", "{\"name\": \"\"}", Roles.READ_ONLY),
            e("DELETE", "/api/v1/tokens/" + ID, null, Roles.READ_ONLY),
            e("GET", "/api/v1/events", null, Roles.READ_ONLY));

    private static String[] e(String method, String path, String body, String minimum) {
        return new String[] {method, path, body, minimum};
    }

    static Stream<Arguments> endpointsAndRoles() {
        return ENDPOINTS.stream().flatMap(e -> Roles.ALL.stream().map(role -> Arguments.of(e[0], e[1], e[2], e[3], role)));
    }

    static Stream<Arguments> endpoints() {
        return ENDPOINTS.stream().map(e -> Arguments.of(e[0], e[1], e[2]));
    }

    @ParameterizedTest(name = "{0} {1} as {4} (minimum {3})")
    @MethodSource("endpointsAndRoles")
    void forbiddenExactlyBelowTheMinimum(String method, String path, String body, String minimum, String role) {
        Response response = send(as(role), method, path, body);
        if (Roles.includes(role, minimum)) {
            assertThat(response.statusCode()).as("%s %s as %s: %s", method, path, role, response.asString()).isNotIn(401, 403);
        } else {
            response.then().statusCode(403).body("code", equalTo("FORBIDDEN"))
                    .body("message", containsString("needs role " + minimum + " or above"))
                    .body("message", containsString("user '" + TestAuth.username(role) + "' has role " + role));
        }
    }

    @ParameterizedTest(name = "{0} {1} without a token")
    @MethodSource("endpoints")
    void withoutATokenEveryEndpointIs401(String method, String path, String body) {
        send(anonymous(), method, path, body).then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"))
                .body("code", equalTo("UNAUTHORIZED"));
        send(anonymous().header("Authorization", "Bearer atl_not-a-token"), method, path, body).then().statusCode(401)
                .body("code", equalTo("UNAUTHORIZED")).body("message", containsString("unknown, expired or revoked"));
    }

    /** The endpoints without a user token: their credential is in the body; a bearer header is ignored, whatever it holds. */
    @ParameterizedTest(name = "{0} {1} is anonymous")
    @MethodSource("anonymousEndpoints")
    void anonymousEndpointsNeedNoToken(String method, String path, String body, String expectedCode) {
        for (RequestSpecification request : List.of(anonymous(), anonymous().header("Authorization", "Bearer atl_not-a-token"),
                as(Roles.READ_ONLY))) {
            send(request, method, path, body).then().statusCode(401).body("code", equalTo(expectedCode));
        }
    }

    static Stream<Arguments> anonymousEndpoints() {
        return Stream.of(
                Arguments.of("POST", "/api/v1/session/login", "{\"username\": \"nobody\", \"password\": \"wrong-password\"}", "UNAUTHORIZED"),
                Arguments.of("POST", "/api/v1/hosts/join", "{\"joinToken\": \"atj_made-up\", \"agentUrl\": \"http://127.0.0.1:9\"}",
                        "JOIN_TOKEN_INVALID"));
    }

    private static Response send(RequestSpecification request, String method, String path, String body) {
        return (body == null ? request : request.body(body)).request(method, path);
    }
}
