package io.atoll.master.testing;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged pool master ({@code quarkus-run.jar}, system property {@code atoll.test.master-jar},
 * set by the build) as its own process, in its default profile: the embedded H2 file database
 * under {@code ROOT/data}, on a free loopback port. It can be started again on the same data
 * (after {@link #stop()} or {@link #kill()}); {@link #api()} acts as the first pool-admin, logged
 * in with the password the first start wrote (the session lives in the database, so it survives).
 */
public final class MasterProcess implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(90);

    private final Path root;
    private final int port;
    private final List<String> properties;
    private Process process;
    private String token;
    private Path passwordFile;

    private MasterProcess(Path root, List<String> properties) {
        this.root = root;
        this.port = Commands.freePort();
        this.properties = List.copyOf(properties);
    }

    /** A master keeping its data and logs under {@code root}, with these extra {@code -D} settings ({@code name=value}). */
    public static MasterProcess in(Path root, String... properties) {
        return new MasterProcess(root, List.of(properties));
    }

    /** Starts it, its output in {@code ROOT/logName}, and waits until it is ready (its start-up reconciliation done). */
    public void start(String logName) throws IOException, InterruptedException {
        String jar = System.getProperty("atoll.test.master-jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("the packaged master (system property atoll.test.master-jar = " + jar + ") is missing: "
                    + "run the build's package phase first");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1", "-Datoll.master.data-dir=" + root.resolve("data")));
        properties.forEach(p -> cmd.add("-D" + p));
        cmd.addAll(List.of("-jar", jar));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve(logName).toFile()).start();
        long deadline = System.nanoTime() + READY.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the master exited with " + process.exitValue() + "; log:\n" + Files.readString(root.resolve(logName)));
            }
            try {
                if (anonymous().get("/q/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (Exception notYet) { // RestAssured throws ConnectException undeclared
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the master was not ready within " + READY.toSeconds() + " s; log:\n"
                        + Files.readString(root.resolve(logName)));
            }
            Thread.sleep(100);
        }
    }

    /** SIGKILL, as a crash or a power cut: nothing of its shutdown runs. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the master (pid " + process.pid() + ") survived SIGKILL for 10 s");
        }
    }

    /** SIGTERM, and waits for the end. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("the master did not stop within 30 s of SIGTERM");
        }
    }

    /** Logs in with the first admin's password another instance of the same pool wrote (masters sharing a database). */
    public MasterProcess adminPasswordFrom(MasterProcess first) {
        this.passwordFile = first.root.resolve("data").resolve("admin-password");
        first.api(); // logged in there: the session lives in the shared database, and a standby would redirect the login
        this.token = first.token;
        return this;
    }

    /** The HTTP port it listens on (loopback). */
    public int port() {
        return port;
    }

    /** Its API's base URL. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Its process id while it runs. */
    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    public Path log(String name) {
        return root.resolve(name);
    }

    public RequestSpecification anonymous() {
        return given().baseUri("http://127.0.0.1").port(port).contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    /** A request as the first pool-admin. */
    public RequestSpecification api() {
        if (token == null) {
            String password;
            try {
                password = Files.readString(passwordFile != null ? passwordFile : root.resolve("data").resolve("admin-password")).trim();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("the first admin's password file is unreadable", e);
            }
            token = login(password);
        }
        return anonymous().header("Authorization", "Bearer " + token);
    }

    /**
     * Logs in; on a standby of a cluster of master instances the login is redirected (307) to the
     * active one, or refused (503) while a take-over is under way: followed, and retried for 60 s.
     */
    private String login(String password) {
        String body = "{\"username\": \"admin\", \"password\": \"" + password + "\"}";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            io.restassured.response.Response r = anonymous().redirects().follow(false).body(body).post("/api/v1/session/login");
            if (r.statusCode() == 307) {
                r = given().contentType(ContentType.JSON).accept(ContentType.JSON).body(body).post(r.header("Location"));
            }
            if (r.statusCode() == 200) {
                return r.path("token");
            }
            if (r.statusCode() != 503 || System.nanoTime() > deadline) {
                throw new IllegalStateException("login refused: " + r.statusCode() + " " + r.asString());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while logging in", e);
            }
        }
    }

    /** Kills it if it still runs; the data directory is the caller's. */
    @Override
    public void close() {
        if (alive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
