package io.atoll.master;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged master in its default profile: the embedded H2 file database under
 * {@code atoll.master.data-dir}, migrated by the same Flyway scripts and checked by the same
 * Hibernate validation as PostgreSQL. What it stores survives a restart.
 */
class EmbeddedDefaultIT {
    private Path root;
    private int port;
    private Process master;

    @BeforeEach
    void dirs() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "atoll-master-");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    private void start(String logName) throws Exception {
        String jar = System.getProperty("atoll.test.master-jar");
        assertThat(jar).as("system property atoll.test.master-jar (set by the build)").isNotNull();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1", "-Datoll.master.data-dir=" + root.resolve("data"),
                "-jar", jar));
        master = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve(logName).toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            assertThat(master.isAlive()).as("master runs; log: %s", Files.readString(root.resolve(logName))).isTrue();
            try {
                if (api().get("/q/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (Exception notYet) { // RestAssured throws ConnectException undeclared
                // not listening yet
            }
            assertThat(System.nanoTime()).as("master ready").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private void stop() throws InterruptedException {
        master.destroy();
        assertThat(master.waitFor(30, TimeUnit.SECONDS)).as("master stops on SIGTERM").isTrue();
    }

    private String token;

    private RequestSpecification anonymous() {
        return given().baseUri("http://127.0.0.1").port(port).contentType(ContentType.JSON);
    }

    /** As the first admin, logged in with the password the first start wrote. */
    private RequestSpecification api() {
        if (token == null) {
            return anonymous();
        }
        return anonymous().header("Authorization", "Bearer " + token);
    }

    /**
     * The first start creates 'admin' with a generated password in DATA_DIR/admin-password, mode
     * 0600; the log says where it is and never what it is.
     */
    private void logInAsTheFirstAdmin(String logName) throws Exception {
        Path file = root.resolve("data").resolve("admin-password");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String password = Files.readString(file).trim();
        String log = Files.readString(root.resolve(logName));
        assertThat(log).contains("user admin: created as the first pool-admin; its password is in " + file).doesNotContain(password);
        anonymous().get("/api/v1/pool").then().statusCode(401).body("code", equalTo("UNAUTHORIZED"));
        token = anonymous().body("{\"username\": \"admin\", \"password\": \"" + password + "\"}").post("/api/v1/session/login").then()
                .statusCode(200).extract().path("token");
    }

    @Test
    void theEmbeddedDatabaseKeepsThePoolAcrossARestart() throws Exception {
        start("master-1.log");
        logInAsTheFirstAdmin("master-1.log");
        String pool = api().get("/api/v1/pool").then().statusCode(200).extract().path("uuid");
        String vm = api().body("{\"name\": \"kept\", \"memoryMiB\": 64, \"disks\": [{\"path\": \"/srv/kept.qcow2\"}]}")
                .post("/api/v1/vms").then().statusCode(201).extract().path("uuid");
        api().get("/q/health").then().statusCode(200).body("status", equalTo("UP"));
        assertThat(Files.exists(root.resolve("data").resolve("pool.mv.db"))).as("the H2 file under the data dir").isTrue();
        stop();

        start("master-2.log");
        api().get("/api/v1/pool").then().statusCode(200).body("uuid", equalTo(pool));
        api().get("/api/v1/vms/" + vm).then().statusCode(200).body("name", equalTo("kept")).body("disks[0].format", equalTo("qcow2"));
        JsonPath events = api().get("/api/v1/events?from=0").then().statusCode(200).extract().jsonPath();
        assertThat(events.getList("events.class")).startsWith("pool", "vm");
        assertThat(Files.readString(root.resolve("master-2.log"))).contains("pool " + pool + ": opened")
                .doesNotContain("first pool-admin"); // the session survived the restart; no second admin
        assertThat(Files.readString(root.resolve("master-1.log")) + Files.readString(root.resolve("master-2.log"))).doesNotContain(token);
        stop();
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (master != null && master.isAlive()) {
            master.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
