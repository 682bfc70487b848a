package io.atoll.agent;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** With a token file configured, the API answers only callers that present the token. */
@QuarkusTest
@TestProfile(TokenAuthTest.WithToken.class)
class TokenAuthTest {
    static final Path TOKEN = Path.of(System.getProperty("java.io.tmpdir"), "atoll-agent-token-" + ProcessHandle.current().pid());

    public static class WithToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("atoll.agent.token-file", TOKEN.toString());
        }
    }

    @Test
    void theTokenIsGeneratedPrivateAndRequired() throws Exception {
        assertThat(Files.getPosixFilePermissions(TOKEN)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String token = Files.readString(TOKEN).trim();
        assertThat(token).hasSize(64);

        given().get("/api/v1/host").then().statusCode(401).body("code", equalTo("UNAUTHORIZED"));
        given().header("Authorization", "Bearer wrong").get("/api/v1/host").then().statusCode(401);
        given().header("Authorization", "Bearer " + token).get("/api/v1/host").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        Files.deleteIfExists(TOKEN);
    }
}
