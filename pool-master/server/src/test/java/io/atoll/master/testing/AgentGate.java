package io.atoll.master.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A loopback HTTP proxy in front of a node agent, which a master joins instead of the agent
 * itself, so that a test can catch an operation in flight: {@link #hold} makes the next POST
 * whose path ends with a suffix wait at the gate (the master's task is then RUNNING, its agent
 * call unanswered) until {@link #release} forwards it to the agent, or {@link #cut} drops the
 * connection without an answer (what a host that disappears looks like). Everything else passes
 * straight through.
 */
public final class AgentGate implements AutoCloseable {
    private static final List<String> FORWARDED = List.of("Authorization", "Content-Type", "Accept");

    private final URI agent;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "agent-gate");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3))
            .build();
    private volatile String held;
    private final Semaphore arrived = new Semaphore(0);
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private volatile boolean cut;

    private AgentGate(URI agent, HttpServer server) {
        this.agent = agent;
        this.server = server;
    }

    /** A gate in front of the agent at {@code agentUrl}, listening on a free loopback port. */
    public static AgentGate open(String agentUrl) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        AgentGate gate = new AgentGate(URI.create(agentUrl), server);
        server.setExecutor(gate.threads);
        server.createContext("/", gate::handle);
        server.start();
        return gate;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** From now on, the next POST whose path ends with {@code suffix} waits at the gate. */
    public void hold(String suffix) {
        cut = false;
        gate = new CountDownLatch(1);
        held = suffix;
    }

    /** Waits until a request is held at the gate. */
    public void awaitHeld(Duration limit) throws InterruptedException {
        if (!arrived.tryAcquire(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("no request reached the gate (" + held + ") within " + limit);
        }
    }

    /** The held request goes on to the agent; its answer goes back to whoever still waits for it. */
    public void release() {
        gate.countDown();
    }

    /** The held request's connection is closed without an answer, and it never reaches the agent. */
    public void cut() {
        cut = true;
        gate.countDown();
    }

    private void handle(HttpExchange exchange) {
        try {
            String path = exchange.getRequestURI().toString();
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String suffix = held;
            if (suffix != null && "POST".equals(exchange.getRequestMethod()) && path.endsWith(suffix)) {
                held = null;
                CountDownLatch waitFor = gate;
                arrived.release();
                try {
                    waitFor.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (cut) {
                    return; // closed without response headers: the client sees the connection end
                }
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(agent.resolve(path)).timeout(Duration.ofMinutes(2))
                    .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String name : FORWARDED) {
                String value = exchange.getRequestHeaders().getFirst(name);
                if (value != null) {
                    request.header(name, value);
                }
            }
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException agentDown) {
                return; // the agent did not answer: neither does the gate
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            response.headers().firstValue("Content-Type").ifPresent(v -> exchange.getResponseHeaders().set("Content-Type", v));
            byte[] answer = response.body();
            exchange.sendResponseHeaders(response.statusCode(), answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                exchange.getResponseBody().write(answer);
            }
        } catch (IOException callerGone) {
            // the master that asked is gone (killed): nothing to answer
        } finally {
            exchange.close(); // before response headers were sent, this closes the connection
        }
    }

    @Override
    public void close() {
        gate.countDown();
        server.stop(0);
        threads.shutdownNow();
    }
}
