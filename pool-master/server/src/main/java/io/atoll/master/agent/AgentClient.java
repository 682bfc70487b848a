package io.atoll.master.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.master.MasterConfig;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.node.api.ApiError;
import io.atoll.node.api.HostFacts;
import io.atoll.node.api.IncomingInfo;
import io.atoll.node.api.IncomingRequest;
import io.atoll.node.api.MigrationProgress;
import io.atoll.node.api.MigrationRequest;
import io.atoll.node.api.NetworkSpec;
import io.atoll.node.api.NetworkState;
import io.atoll.node.api.NicSpec;
import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.SrAttachRequest;
import io.atoll.node.api.SrState;
import io.atoll.node.api.VdiInfo;
import io.atoll.node.api.VdiRequest;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmSpec;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Calls node agents (docs/node-agent.md) with the JDK's HTTP client: the base URL and token
 * differ per host, and every call has a bound — a short one for reads, which the agent answers
 * from memory, and a large backstop for VM operations, which the agent bounds itself. A host that
 * does not answer is {@code HOST_UNREACHABLE}; an agent's refusal is {@code HOST_AGENT_ERROR}
 * carrying the agent's own code and message.
 */
@ApplicationScoped
public class AgentClient {
    private static final TypeReference<List<VmInfo>> VM_LIST = new TypeReference<>() {
    };

    @Inject
    MasterConfig config;

    @Inject
    ObjectMapper json;

    @Inject
    io.atoll.master.ha.MasterRole role;

    private HttpClient http;

    /**
     * Threads for the calls answered as futures (the poller asks every host at once): reused, at
     * most {@link #QUERY_THREADS} at a time, the rest queued (a request's own timeout starts when it
     * is sent, not while it waits here).
     */
    private java.util.concurrent.ThreadPoolExecutor queries;
    private java.util.concurrent.ThreadPoolExecutor haQueries;

    /** Agent calls in flight at once from the query pool. */
    static final int QUERY_THREADS = 64;

    @PostConstruct
    void create() {
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(config.agentConnectTimeout()).build();
        queries = pool("atoll-agent-query-", QUERY_THREADS);
        haQueries = pool("atoll-agent-ha-", QUERY_THREADS / 2);
    }

    private static java.util.concurrent.ThreadPoolExecutor pool(String prefix, int threads) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(threads, threads, 30,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    @jakarta.annotation.PreDestroy
    void close() {
        queries.shutdownNow();
        haQueries.shutdownNow();
    }

    public HostFacts facts(AgentEndpoint agent) {
        return join(factsAsync(agent));
    }

    public CompletableFuture<HostFacts> factsAsync(AgentEndpoint agent) {
        return refusalsAsErrors(call(agent, "GET", "/api/v1/host", null, config.agentQueryTimeout(), json.constructType(HostFacts.class)));
    }

    public CompletableFuture<List<VmInfo>> vmsAsync(AgentEndpoint agent) {
        return refusalsAsErrors(call(agent, "GET", "/api/v1/vms", null, config.agentQueryTimeout(),
                json.getTypeFactory().constructType(VM_LIST)));
    }

    /** The VM as the host sees it, or empty when the host does not know it. */
    public Optional<VmInfo> vm(AgentEndpoint agent, UUID vm) {
        try {
            return Optional.of(callNow(agent, "GET", "/api/v1/vms/" + vm, null, config.agentQueryTimeout(),
                    json.constructType(VmInfo.class)));
        } catch (AgentRefusal refusal) {
            if ("VM_NOT_FOUND".equals(refusal.error.code())) {
                return Optional.empty();
            }
            throw refusal.toMasterException();
        }
    }

    /** Defines the VM on the host (halted). */
    public VmInfo create(AgentEndpoint agent, VmSpec spec) {
        return operation(agent, "POST", "/api/v1/vms", spec, "define vm " + spec.uuid());
    }

    /** Removes a halted, crashed or suspended VM's definition and state files from the host (not its disks). */
    public void destroy(AgentEndpoint agent, UUID vm) {
        operation(agent, "DELETE", "/api/v1/vms/" + vm, null, "remove vm " + vm);
    }

    /** A power operation ({@code start}, {@code pause}…); answers when the agent has finished it. */
    public VmInfo operate(AgentEndpoint agent, UUID vm, String operation, ShutdownRequest options) {
        return operation(agent, "POST", "/api/v1/vms/" + vm + "/" + operation, options, operation + " vm " + vm);
    }

    private VmInfo operation(AgentEndpoint agent, String method, String path, Object body, String what) {
        return operation(agent, method, path, body, what, json.constructType(VmInfo.class));
    }

    private <T> T operation(AgentEndpoint agent, String method, String path, Object body, String what,
                            com.fasterxml.jackson.databind.JavaType type) {
        try {
            return callNow(agent, method, path, body, config.agentOperationTimeout(), type);
        } catch (AgentRefusal refusal) {
            MasterErrorCode storage = MasterErrorCode.ofAgentStorageCode(refusal.error.code());
            throw new MasterException(storage != null ? storage : MasterErrorCode.HOST_AGENT_ERROR, refusal.agentObject(),
                    agent.label() + " refused to " + what + ": " + refusal.error.code() + ": " + refusal.error.message(), refusal);
        }
    }

    // Live migration (docs/node-agent.md, Migration).

    /** Makes the target wait for the VM: QEMU starts paused and listens on {@code request.listenAddress()}. */
    public IncomingInfo incoming(AgentEndpoint agent, IncomingRequest request) {
        return operation(agent, "POST", "/api/v1/vms/incoming", request, "receive vm " + request.spec().uuid(),
                json.constructType(IncomingInfo.class));
    }

    /** Sends the VM to a waiting target; answers when it runs there (or fails, the VM running on here). */
    public VmInfo migrate(AgentEndpoint agent, UUID vm, MigrationRequest request) {
        return operation(agent, "POST", "/api/v1/vms/" + vm + "/migrate", request, "migrate vm " + vm);
    }

    /** The outgoing migration's progress, read while it runs. */
    public MigrationProgress migrationProgress(AgentEndpoint agent, UUID vm) {
        try {
            return callNow(agent, "GET", "/api/v1/vms/" + vm + "/migration", null, config.agentQueryTimeout(),
                    json.constructType(MigrationProgress.class));
        } catch (AgentRefusal refusal) {
            throw refusal.toMasterException();
        }
    }

    /** Asks the source to stop the VM's outgoing migration; the migrate call then fails with MIGRATION_CANCELLED. */
    public void cancelMigration(AgentEndpoint agent, UUID vm) {
        operation(agent, "POST", "/api/v1/vms/" + vm + "/migrate/cancel", null, "cancel the migration of vm " + vm,
                json.constructType(Void.class));
    }

    // Networks (docs/networking.md): realised on a host before a VM needs them there.

    /**
     * Realises (or converges) the network on the host. A refusal keeps the agent's network code
     * ({@code NETWORK_NOT_SUPPORTED}, {@code NETWORK_FAILED} …) with {@code what} (the network's
     * label) and the host named in the message.
     */
    public NetworkState realiseNetwork(AgentEndpoint agent, UUID network, NetworkSpec spec, String what) {
        return networkCall(agent, "PUT", "/api/v1/networks/" + network, spec, "realise " + what, json.constructType(NetworkState.class));
    }

    /** Removes the network from the host; one the host does not have is not an error. */
    public void removeNetwork(AgentEndpoint agent, UUID network, String what) {
        try {
            callNow(agent, "DELETE", "/api/v1/networks/" + network, null, config.agentOperationTimeout(), json.constructType(Void.class));
        } catch (AgentRefusal refusal) {
            if (!"NETWORK_NOT_FOUND".equals(refusal.error.code())) {
                throw networkError(agent, refusal, "remove " + what);
            }
        }
    }

    /** The networks realised on the host, with their DHCP leases. */
    public CompletableFuture<List<NetworkState>> networksAsync(AgentEndpoint agent) {
        return refusalsAsErrors(call(agent, "GET", "/api/v1/networks", null, config.agentQueryTimeout(),
                json.getTypeFactory().constructCollectionType(List.class, NetworkState.class)));
    }

    /** Hot-plugs a NIC into a running or paused VM. */
    public VmInfo plugNic(AgentEndpoint agent, UUID vm, NicSpec nic) {
        return networkCall(agent, "POST", "/api/v1/vms/" + vm + "/nics", nic, "plug nic " + nic.id() + " into vm " + vm,
                json.constructType(VmInfo.class));
    }

    /** Hot-unplugs a NIC from a running or paused VM. */
    public VmInfo unplugNic(AgentEndpoint agent, UUID vm, String nic) {
        return networkCall(agent, "DELETE", "/api/v1/vms/" + vm + "/nics/" + nic, null, "unplug nic " + nic + " from vm " + vm,
                json.constructType(VmInfo.class));
    }

    private <T> T networkCall(AgentEndpoint agent, String method, String path, Object body, String what,
                              com.fasterxml.jackson.databind.JavaType type) {
        try {
            return callNow(agent, method, path, body, config.agentOperationTimeout(), type);
        } catch (AgentRefusal refusal) {
            throw networkError(agent, refusal, what);
        }
    }

    private static MasterException networkError(AgentEndpoint agent, AgentRefusal refusal, String what) {
        MasterErrorCode code = MasterErrorCode.ofAgentNetworkCode(refusal.error.code());
        return new MasterException(code != null ? code : MasterErrorCode.HOST_AGENT_ERROR, refusal.agentObject(),
                agent.label() + " refused to " + what + ": " + refusal.error.code() + ": " + refusal.error.message(), refusal);
    }

    // Storage (docs/node-agent.md, Storage): repositories attached on a host and their disks.

    /**
     * Whether the host serves the adapter type, and whether that adapter is shared (its
     * behaviors include {@code SHARED}); {@code STORAGE_TYPE_UNKNOWN} listing the types it has.
     */
    public boolean storageTypeShared(AgentEndpoint agent, String type) {
        com.fasterxml.jackson.databind.JsonNode answer = operation(agent, "GET", "/api/v1/storage/adapters", null,
                "list its storage adapters", json.constructType(com.fasterxml.jackson.databind.JsonNode.class));
        List<String> types = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode adapter : answer.path("adapters")) {
            String t = adapter.path("type").asText();
            types.add(t);
            if (t.equals(type)) {
                for (com.fasterxml.jackson.databind.JsonNode b : adapter.path("behaviors")) {
                    if ("SHARED".equals(b.asText())) {
                        return true;
                    }
                }
                return false;
            }
        }
        throw new MasterException(MasterErrorCode.STORAGE_TYPE_UNKNOWN, agent.host() == null ? null : "host " + agent.host(),
                agent.label() + " has no storage adapter of type '" + type + "': it has " + (types.isEmpty() ? "none" : String.join(", ", types))
                        + " (install the plugin on every host, or pick one of those)");
    }

    /** Attaches (creating it first when asked) a repository on the host. */
    public SrState attachSr(AgentEndpoint agent, UUID sr, SrAttachRequest request) {
        return operation(agent, "PUT", "/api/v1/storage/srs/" + sr, request, (request.create() ? "create and attach" : "attach")
                + " sr " + sr, json.constructType(SrState.class));
    }

    /** Detaches a repository from the host, destroying it on the storage when {@code destroy}. */
    public void detachSr(AgentEndpoint agent, UUID sr, boolean destroy) {
        operation(agent, "DELETE", "/api/v1/storage/srs/" + sr + "?destroy=" + destroy, null, (destroy ? "destroy" : "detach") + " sr " + sr,
                json.constructType(Void.class));
    }

    public SrState sr(AgentEndpoint agent, UUID sr) {
        return operation(agent, "GET", "/api/v1/storage/srs/" + sr, null, "read sr " + sr, json.constructType(SrState.class));
    }

    public List<VdiInfo> scanSr(AgentEndpoint agent, UUID sr) {
        return operation(agent, "GET", "/api/v1/storage/srs/" + sr + "/disks", null, "scan sr " + sr,
                json.getTypeFactory().constructCollectionType(List.class, VdiInfo.class));
    }

    public VdiInfo createVdi(AgentEndpoint agent, UUID sr, VdiRequest.Create request) {
        return operation(agent, "POST", "/api/v1/storage/srs/" + sr + "/disks", request, "create disk '" + request.name() + "' in sr " + sr,
                json.constructType(VdiInfo.class));
    }

    public void deleteVdi(AgentEndpoint agent, UUID sr, String vdi) {
        operation(agent, "DELETE", "/api/v1/storage/srs/" + sr + "/disks/" + vdi, null, "delete disk " + vdi + " of sr " + sr,
                json.constructType(Void.class));
    }

    /** {@code op}: snapshot, clone, revert or resize, with its {@link VdiRequest} body. */
    public VdiInfo vdiOperation(AgentEndpoint agent, UUID sr, String vdi, String op, Object body) {
        return operation(agent, "POST", "/api/v1/storage/srs/" + sr + "/disks/" + vdi + "/" + op, body, op + " disk " + vdi + " of sr " + sr,
                json.constructType(VdiInfo.class));
    }

    // HA (docs/ha.md, Wiring): the host's part in the cluster, its statefile, its fence.

    /** Applies the pool's HA settings on the host (joins the cluster, writes the statefile, arms the self-fence). */
    public io.atoll.node.api.HaStatus putHa(AgentEndpoint agent, io.atoll.node.api.HaConfig config) {
        return operation(agent, "PUT", "/api/v1/ha", config, "apply the pool's HA settings", json.constructType(io.atoll.node.api.HaStatus.class));
    }

    /** The host's HA state, within the query timeout. */
    public CompletableFuture<io.atoll.node.api.HaStatus> haAsync(AgentEndpoint agent, Duration timeout) {
        // On a pool of their own: the HA loop's reads must not queue behind polls of hosts that do not answer.
        return refusalsAsErrors(call(agent, "GET", "/api/v1/ha", null, timeout, json.constructType(io.atoll.node.api.HaStatus.class), haQueries));
    }

    /** Takes the host out of HA (leaves the cluster, stops its statefile writes and self-fence). */
    public void deleteHa(AgentEndpoint agent) {
        operation(agent, "DELETE", "/api/v1/ha", null, "leave HA", json.constructType(Void.class));
    }

    /** Forgets every disk attachment a fenced host holds in a repository (the host answering must not be that one). */
    public List<String> releaseHost(AgentEndpoint agent, UUID sr, UUID deadHost) {
        io.atoll.node.api.ReleasedDisks answer = operation(agent, "POST", "/api/v1/storage/srs/" + sr + "/release-host",
                new io.atoll.node.api.ReleaseHostRequest(deadHost), "release the disks host " + deadHost + " held in sr " + sr,
                json.constructType(io.atoll.node.api.ReleasedDisks.class));
        return answer == null ? List.of() : answer.released();
    }

    /**
     * A call answered on the {@linkplain #queries query pool} (the poller's many reads at once).
     * Not {@code HttpClient.sendAsync}: the JDK hands each of its answers on to
     * {@code CompletableFuture}'s default executor, which on a machine with fewer than three CPUs
     * starts a new thread per answer (hundreds a second at 1,000 hosts).
     */
    private <T> CompletableFuture<T> call(AgentEndpoint agent, String method, String path, Object body, Duration timeout,
                                          com.fasterxml.jackson.databind.JavaType type) {
        return call(agent, method, path, body, timeout, type, queries);
    }

    private <T> CompletableFuture<T> call(AgentEndpoint agent, String method, String path, Object body, Duration timeout,
                                          com.fasterxml.jackson.databind.JavaType type, java.util.concurrent.Executor pool) {
        HttpRequest request = request(agent, method, path, body, timeout);
        return CompletableFuture.supplyAsync(() -> exchange(agent, method, path, timeout, request, type), pool);
    }

    /**
     * A call the caller waits for (task workers wait for the answer anyway). The wait cannot be
     * interrupted: a task the watchdog ends does not cut its agent call short — the call's own
     * timeout bounds it, and reconciliation records what the host did (TaskWatchdog).
     */
    private <T> T callNow(AgentEndpoint agent, String method, String path, Object body, Duration timeout,
                          com.fasterxml.jackson.databind.JavaType type) {
        HttpResponse<String> response;
        try {
            response = http.sendAsync(request(agent, method, path, body, timeout), HttpResponse.BodyHandlers.ofString()).join();
        } catch (CompletionException e) {
            throw unreachable(agent, method, path, timeout, e.getCause() == null ? e : e.getCause());
        }
        return answer(agent, method, path, response, type);
    }

    private HttpRequest request(AgentEndpoint agent, String method, String path, Object body, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(agent.url() + path)).timeout(timeout)
                .header("Accept", "application/json");
        if (agent.token() != null) {
            request.header("Authorization", "Bearer " + agent.token());
        }
        long epoch = role.epoch();
        if (epoch > 0) {
            // The fencing token (docs/ha.md): an agent refuses a master older than one it has heard from.
            request.header(io.atoll.ha.FencingToken.HEADER, Long.toString(epoch));
        }
        try {
            request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the request body for " + method + " " + path, e);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return request.build();
    }

    /** A call on a thread of a query pool. */
    private <T> T exchange(AgentEndpoint agent, String method, String path, Duration timeout, HttpRequest request,
                           com.fasterxml.jackson.databind.JavaType type) {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unreachable(agent, method, path, timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the pool is shutting down
            throw unreachable(agent, method, path, timeout, e);
        }
        return answer(agent, method, path, response, type);
    }

    private static MasterException unreachable(AgentEndpoint agent, String method, String path, Duration timeout, Throwable cause) {
        String why = cause instanceof HttpTimeoutException ? "no answer within " + timeout.toSeconds() + " s"
                : cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return new MasterException(MasterErrorCode.HOST_UNREACHABLE, agent.host() == null ? null : "host " + agent.host(),
                agent.label() + " did not answer " + method + " " + path + ": " + why, cause);
    }

    private <T> T answer(AgentEndpoint agent, String method, String path, HttpResponse<String> response,
                         com.fasterxml.jackson.databind.JavaType type) {
        if (response.statusCode() == 401) {
            throw new MasterException(MasterErrorCode.HOST_AGENT_UNAUTHORIZED, agent.host() == null ? null : "host " + agent.host(),
                    agent.label() + " refused the agent token: give the token from the agent's token file (atoll.agent.token-file)");
        }
        if (response.statusCode() / 100 != 2) {
            throw new AgentRefusal(agent, response.statusCode(), parseError(response));
        }
        if (response.statusCode() == 204 || response.body().isEmpty()) {
            return null;
        }
        try {
            return json.readValue(response.body(), type);
        } catch (IOException e) {
            throw new MasterException(MasterErrorCode.HOST_AGENT_ERROR, null, agent.label() + " answered " + method + " " + path
                    + " with JSON the master cannot read: " + e.getMessage(), e);
        }
    }

    private ApiError parseError(HttpResponse<String> response) {
        try {
            ApiError error = json.readValue(response.body(), ApiError.class);
            if (error.code() != null) {
                return error;
            }
        } catch (IOException notJson) {
            // fall through: a proxy or a crashed agent answered
        }
        String body = response.body().length() > 200 ? response.body().substring(0, 200) + "…" : response.body();
        return new ApiError("HTTP_" + response.statusCode(), body, null);
    }

    private static <T> CompletableFuture<T> refusalsAsErrors(CompletableFuture<T> future) {
        return future.handle((value, failure) -> {
            if (failure == null) {
                return value;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof AgentRefusal refusal) {
                throw refusal.toMasterException();
            }
            throw failure instanceof CompletionException ce ? ce : new CompletionException(cause);
        });
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        }
    }

    /** Whether {@code error} is (or was caused by) an agent's refusal with the agent error code {@code code}. */
    public static boolean refusedWith(Throwable error, String code) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof AgentRefusal refusal) {
                return code.equals(refusal.error.code());
            }
        }
        return false;
    }

    /** An error answer of an agent, before it is worded for the caller. */
    static final class AgentRefusal extends RuntimeException {
        final AgentEndpoint agent;
        final int status;
        final ApiError error;

        AgentRefusal(AgentEndpoint agent, int status, ApiError error) {
            super(error.code() + ": " + error.message(), null, false, false);
            this.agent = agent;
            this.status = status;
            this.error = error;
        }

        String agentObject() {
            return error.object() != null ? error.object() : agent.host() == null ? null : "host " + agent.host();
        }

        MasterException toMasterException() {
            return new MasterException(MasterErrorCode.HOST_AGENT_ERROR, agentObject(), agent.label() + " answered "
                    + status + ": " + error.code() + ": " + error.message(), this);
        }
    }
}
