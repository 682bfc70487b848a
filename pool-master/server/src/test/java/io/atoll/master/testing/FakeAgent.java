package io.atoll.master.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.HostFacts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A stand-in node agent on a free loopback port, in this JVM: answers {@code GET /api/v1/host}
 * with made-up facts under a host uuid the test chooses (and may change, as if another machine
 * took the address), {@code GET /api/v1/vms} with no VMs, and demands its bearer token. For join
 * tests that need no QEMU; {@code HostJoinIT} runs the real agent.
 */
public final class FakeAgent implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final String token;
    private volatile UUID hostUuid;
    private volatile CyclicBarrier hold;

    private FakeAgent(UUID hostUuid, String token) throws IOException {
        this.hostUuid = hostUuid;
        this.token = token;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(threads);
        server.createContext("/", this::answer);
        server.start();
    }

    /** An agent reporting {@code hostUuid} and requiring {@code token}. */
    public static FakeAgent start(UUID hostUuid, String token) throws IOException {
        return new FakeAgent(hostUuid, token);
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public UUID hostUuid() {
        return hostUuid;
    }

    /** From now on it answers as this host (another machine at the same address). */
    public void reportAs(UUID uuid) {
        hostUuid = uuid;
    }

    /**
     * Holds the facts' answers until {@code barrier} has as many waiting as it counts (shared by
     * several agents, it makes joins meet after their token check); bounded, so a lost request
     * fails the test instead of hanging it.
     */
    public void holdFactsUntil(CyclicBarrier barrier) {
        hold = barrier;
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (!("Bearer " + token).equals(auth)) {
                send(exchange, 401, "{\"code\":\"UNAUTHORIZED\",\"message\":\"missing or wrong bearer token\",\"object\":null}");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            if ("GET".equals(exchange.getRequestMethod()) && path.equals("/api/v1/host")) {
                CyclicBarrier barrier = hold;
                if (barrier != null) {
                    barrier.await(20, TimeUnit.SECONDS);
                }
                send(exchange, 200, JSON.writeValueAsString(facts()));
            } else if ("GET".equals(exchange.getRequestMethod()) && path.equals("/api/v1/vms")) {
                send(exchange, 200, "[]");
            } else {
                send(exchange, 404, "{\"code\":\"NOT_FOUND\",\"message\":\"the fake agent has no " + path + "\",\"object\":null}");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (BrokenBarrierException | TimeoutException e) {
            // the test fails on its own assertions: the join answers an error
        }
    }

    private HostFacts facts() {
        return new HostFacts(hostUuid, "fake-" + server.getAddress().getPort(), 2, "Fake CPU", 4L << 30, 2L << 30, 3L << 30, 2L << 30,
                10L << 30, new HostFacts.KvmInfo(false, -1, false, "a fake agent"), Accelerator.TCG, "7.2.0", 0);
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
