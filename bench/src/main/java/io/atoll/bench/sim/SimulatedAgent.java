package io.atoll.bench.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.atoll.node.api.ApiError;
import io.atoll.node.api.NodeErrorCode;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One simulated node agent: the part of the agent's HTTP API (docs/node-agent.md) that the pool
 * master calls — {@code GET /api/v1/host}, the VM list and reads, define, delete and the power
 * operations — on its own loopback port, with a bearer token, answering the node-api records as
 * JSON. Anything else (migration, consoles, events, storage) answers 404 {@code NOT_FOUND}
 * naming it as not simulated. For scale benchmarks only: no QEMU is ever started.
 */
final class SimulatedAgent {
    private final HttpServer server;
    private final byte[] token;
    private final String tokenText;
    private final SimulatedVms vms;
    private final ObjectMapper json;
    private final Consumer<String> counter;
    private final List<Long> listedAt = new ArrayList<>();

    SimulatedAgent(SimulatedVms vms, String token, ObjectMapper json, Executor executor, Consumer<String> counter) throws IOException {
        this.vms = vms;
        this.tokenText = token;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.json = json;
        this.counter = counter;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String token() {
        return tokenText;
    }

    /** When the master listed this host's VMs ({@link System#nanoTime()}): only its host poller does, once a poll. */
    synchronized List<Long> listedAt() {
        return List.copyOf(listedAt);
    }

    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.startsWith("/q/health")) {
                send(exchange, 200, "{\"status\":\"UP\",\"checks\":[]}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!authorized(exchange)) {
                error(exchange, new SimulatedRefusal(NodeErrorCode.UNAUTHORIZED, null,
                        "missing or wrong bearer token: send 'Authorization: Bearer <token>' with the token from the agent's token file"));
                return;
            }
            try {
                route(exchange, method, path, body);
            } catch (SimulatedRefusal refusal) {
                error(exchange, refusal);
            } catch (ValueInstantiationException e) {
                String why = e.getCause() instanceof IllegalArgumentException iae ? iae.getMessage() : e.getOriginalMessage();
                error(exchange, new SimulatedRefusal(NodeErrorCode.INVALID_SPEC, null, why));
            } catch (JsonProcessingException e) {
                // Strict reading: a field the wire records do not know means the API drifted.
                error(exchange, new SimulatedRefusal(NodeErrorCode.INVALID_REQUEST, null, "malformed JSON: " + e.getOriginalMessage()));
            } catch (RuntimeException e) {
                error(exchange, new SimulatedRefusal(NodeErrorCode.INTERNAL, null, "simulated agent failed: " + e));
            }
        }
    }

    private void route(HttpExchange exchange, String method, String path, byte[] body) throws IOException {
        String[] parts = path.split("/"); // "", "api", "v1", kind, uuid, operation
        if (parts.length < 4 || !"api".equals(parts[1]) || !"v1".equals(parts[2])) {
            throw notSimulated(method, path);
        }
        if ("host".equals(parts[3]) && parts.length == 4 && "GET".equals(method)) {
            counter.accept("GET /host");
            ok(exchange, 200, vms.facts());
            return;
        }
        if (!"vms".equals(parts[3])) {
            throw notSimulated(method, path);
        }
        if (parts.length == 4) {
            switch (method) {
                case "GET" -> {
                    counter.accept("GET /vms");
                    synchronized (this) {
                        listedAt.add(System.nanoTime());
                    }
                    ok(exchange, 200, vms.list());
                }
                case "POST" -> {
                    counter.accept("POST /vms");
                    VmSpec spec = body.length == 0 ? null : json.readValue(body, VmSpec.class);
                    if (spec == null) {
                        throw new SimulatedRefusal(NodeErrorCode.INVALID_REQUEST, null, "the request body must be a VM spec (JSON)");
                    }
                    ok(exchange, 201, vms.create(spec));
                }
                default -> throw notSimulated(method, path);
            }
            return;
        }
        UUID uuid = uuid(parts[4]);
        if (parts.length == 5) {
            switch (method) {
                case "GET" -> {
                    counter.accept("GET /vms/{uuid}");
                    ok(exchange, 200, vms.get(uuid));
                }
                case "DELETE" -> {
                    counter.accept("DELETE /vms/{uuid}");
                    vms.destroy(uuid);
                    exchange.sendResponseHeaders(204, -1);
                }
                default -> throw notSimulated(method, path);
            }
            return;
        }
        if (parts.length != 6 || !"POST".equals(method)) {
            throw notSimulated(method, path);
        }
        String operation = parts[5];
        counter.accept("POST /vms/{uuid}/" + operation);
        ShutdownRequest options = body.length == 0 ? null : json.readValue(body, ShutdownRequest.class);
        ok(exchange, 200, switch (operation) {
            case "start" -> vms.start(uuid);
            case "shutdown" -> vms.shutdown(uuid, options);
            case "reboot" -> vms.reboot(uuid, options);
            case "pause" -> vms.pause(uuid);
            case "unpause" -> vms.unpause(uuid);
            case "suspend" -> vms.suspend(uuid);
            case "resume" -> vms.resume(uuid);
            default -> throw notSimulated(method, path);
        });
    }

    private boolean authorized(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && header.startsWith("Bearer ")
                && MessageDigest.isEqual(header.substring(7).trim().getBytes(StandardCharsets.UTF_8), token);
    }

    private static UUID uuid(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw new SimulatedRefusal(NodeErrorCode.VM_NOT_FOUND, "vm " + text, "vm " + text + " is not on this host: list VMs with GET /api/v1/vms");
        }
    }

    private static SimulatedRefusal notSimulated(String method, String path) {
        return new SimulatedRefusal(NodeErrorCode.NOT_FOUND, null, method + " " + path
                + " is not part of the simulated agent (SimulatedAgentFarm serves host facts, VM reads, define, delete and power operations)");
    }

    private void ok(HttpExchange exchange, int status, Object value) throws IOException {
        send(exchange, status, json.writeValueAsBytes(value));
    }

    private void error(HttpExchange exchange, SimulatedRefusal refusal) throws IOException {
        ApiError error = refusal.error();
        send(exchange, refusal.code.httpStatus(), json.writeValueAsBytes(error));
    }

    private static void send(HttpExchange exchange, int status, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
