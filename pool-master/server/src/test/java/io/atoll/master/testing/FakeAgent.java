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
 * tests that need no QEMU; {@code HostJoinIT} runs the real agent. It also keeps VM definitions in
 * memory (define, read, list, remove, start) for placement tests, and can refuse starts for
 * memory as a real agent does when the master's figure for it is stale.
 */
public final class FakeAgent implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final String token;
    private volatile UUID hostUuid;
    private volatile CyclicBarrier hold;
    private volatile long freeForVmsBytes = 2L << 30;
    private volatile boolean refuseStartsForMemory;
    /** The VMs defined here, by uuid. */
    public final java.util.Map<UUID, io.atoll.node.api.VmInfo> vms = new java.util.concurrent.ConcurrentHashMap<>();
    /** The uuid of every VM a start was asked for, in order. */
    public final java.util.List<UUID> startsAsked = new java.util.concurrent.CopyOnWriteArrayList<>();

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

    /** The facts it answers now. */
    public HostFacts factsNow() {
        return facts();
    }

    /** The free memory for VMs it reports from now on. */
    public void reportFreeForVms(long bytes) {
        freeForVmsBytes = bytes;
    }

    /** From now on every start is refused with INSUFFICIENT_MEMORY, whatever the facts say. */
    public void refuseStartsForMemory(boolean refuse) {
        refuseStartsForMemory = refuse;
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
            } else if (path.startsWith("/api/v1/vms")) {
                vms(exchange, path);
            } else if (path.startsWith("/api/v1/networks")) {
                networks(exchange, path);
            } else {
                send(exchange, 404, "{\"code\":\"NOT_FOUND\",\"message\":\"the fake agent has no " + path + "\",\"object\":null}");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (BrokenBarrierException | TimeoutException e) {
            // the test fails on its own assertions: the join answers an error
        }
    }

    /** Every network spec PUT to this agent, in order (uuid, spec as JSON). */
    public final java.util.List<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> networkPuts =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The networks it has now, by uuid. */
    public final java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> networks = new java.util.concurrent.ConcurrentHashMap<>();

    /** Networks as the real agent answers them; a VLAN network is refused as on a kernel without 802.1q. */
    private void networks(HttpExchange exchange, String path) throws IOException {
        String method = exchange.getRequestMethod();
        String id = path.length() > "/api/v1/networks/".length() ? path.substring("/api/v1/networks/".length()) : null;
        if ("GET".equals(method) && id == null) {
            com.fasterxml.jackson.databind.node.ArrayNode all = JSON.createArrayNode();
            networks.forEach((uuid, spec) -> all.add(state(uuid, spec)));
            send(exchange, 200, JSON.writeValueAsString(all));
        } else if ("PUT".equals(method) && id != null) {
            com.fasterxml.jackson.databind.JsonNode spec = JSON.readTree(exchange.getRequestBody());
            networkPuts.add(java.util.Map.entry(id, spec));
            if ("VLAN".equals(spec.path("type").asText())) {
                send(exchange, 409, "{\"code\":\"NETWORK_NOT_SUPPORTED\",\"message\":\"VLAN networks need 802.1q support in this host's "
                        + "kernel (module 8021q), which it lacks: load 8021q on this host, or use a PRIVATE (VXLAN) network\",\"object\":null}");
                return;
            }
            networks.put(id, spec);
            send(exchange, 200, JSON.writeValueAsString(state(id, spec)));
        } else if ("DELETE".equals(method) && id != null) {
            if (networks.remove(id) == null) {
                send(exchange, 404, "{\"code\":\"NETWORK_NOT_FOUND\",\"message\":\"no network " + id + " here\",\"object\":null}");
            } else {
                exchange.sendResponseHeaders(204, -1);
            }
        } else {
            send(exchange, 404, "{\"code\":\"NOT_FOUND\",\"message\":\"the fake agent has no " + method + " " + path + "\",\"object\":null}");
        }
    }

    /** VM definitions as the real agent keeps them (no QEMU: a start only changes the state). */
    private void vms(HttpExchange exchange, String path) throws IOException {
        String method = exchange.getRequestMethod();
        String[] parts = path.substring("/api/v1/vms".length()).split("/");
        UUID id = parts.length > 1 ? UUID.fromString(parts[1]) : null;
        String operation = parts.length > 2 ? parts[2] : null;
        io.atoll.node.api.VmInfo vm = id == null ? null : vms.get(id);
        if (id == null && "GET".equals(method)) {
            send(exchange, 200, JSON.writeValueAsString(vms.values()));
        } else if (id == null && "POST".equals(method)) {
            io.atoll.node.api.VmSpec spec = JSON.readValue(exchange.getRequestBody(), io.atoll.node.api.VmSpec.class);
            io.atoll.node.api.VmInfo defined = info(spec, io.atoll.node.api.VmPowerState.HALTED);
            vms.put(spec.uuid(), defined);
            send(exchange, 201, JSON.writeValueAsString(defined));
        } else if (vm == null) {
            send(exchange, 404, "{\"code\":\"VM_NOT_FOUND\",\"message\":\"no vm " + id + " on this fake agent\",\"object\":\"vm " + id + "\"}");
        } else if (operation == null && "GET".equals(method)) {
            send(exchange, 200, JSON.writeValueAsString(vm));
        } else if (operation == null && "DELETE".equals(method)) {
            vms.remove(id);
            exchange.sendResponseHeaders(204, -1);
        } else if ("start".equals(operation) && "POST".equals(method)) {
            startsAsked.add(id);
            if (refuseStartsForMemory) {
                send(exchange, 409, "{\"code\":\"INSUFFICIENT_MEMORY\",\"message\":\"vm " + id + " needs " + vm.spec().memoryMiB()
                        + " MiB; 0 MiB free for VMs on this fake agent\",\"object\":\"vm " + id + "\"}");
                return;
            }
            io.atoll.node.api.VmInfo running = info(vm.spec(), io.atoll.node.api.VmPowerState.RUNNING);
            vms.put(id, running);
            send(exchange, 200, JSON.writeValueAsString(running));
        } else if ("shutdown".equals(operation) && "POST".equals(method)) {
            io.atoll.node.api.VmInfo halted = info(vm.spec(), io.atoll.node.api.VmPowerState.HALTED);
            vms.put(id, halted);
            send(exchange, 200, JSON.writeValueAsString(halted));
        } else {
            send(exchange, 404, "{\"code\":\"NOT_FOUND\",\"message\":\"the fake agent has no " + method + " " + path + "\",\"object\":null}");
        }
    }

    private static io.atoll.node.api.VmInfo info(io.atoll.node.api.VmSpec spec, io.atoll.node.api.VmPowerState state) {
        return new io.atoll.node.api.VmInfo(spec.uuid(), spec.name(), state, state == io.atoll.node.api.VmPowerState.RUNNING ? 1L : null,
                "tcg", null, null, null, java.util.List.of(), spec);
    }

    private static com.fasterxml.jackson.databind.JsonNode state(String uuid, com.fasterxml.jackson.databind.JsonNode spec) {
        com.fasterxml.jackson.databind.node.ObjectNode s = JSON.createObjectNode().put("uuid", uuid);
        s.set("spec", spec);
        return s.put("mtu", 1450).putNull("tunnel").putNull("dhcpPid").set("vifs", JSON.createArrayNode());
    }

    private HostFacts facts() {
        return new HostFacts(hostUuid, "fake-" + server.getAddress().getPort(), 2, "Fake CPU", 4L << 30, 2L << 30, 3L << 30, freeForVmsBytes,
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
