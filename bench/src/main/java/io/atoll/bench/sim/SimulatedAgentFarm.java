package io.atoll.bench.sim;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Many simulated node agents in one JVM, for scale benchmarks of the pool master only
 * ({@code bench/run pool-scale}, docs/bench-pool-scale.md). Each agent has its own loopback port,
 * bearer token and in-memory VMs ({@link SimulatedVms}); all share one small thread pool, so a
 * thousand hosts cost a thousand idle listener threads and little else. The agents speak the
 * node-api records with Jackson, reading strictly: when the master's calls or the wire types drift,
 * this farm refuses them or stops compiling. It never starts QEMU.
 */
public final class SimulatedAgentFarm implements AutoCloseable {
    /** What each simulated host has: 256 GiB, 512 MiB of it kept for the host, as the agent's default reserve. */
    public static final long DEFAULT_HOST_MEMORY = 256L << 30;
    public static final long DEFAULT_RESERVE = 512L << 20;

    /**
     * @param hosts how many agents
     * @param memoryPerHostBytes each host's physical memory
     * @param reserveBytes memory each host never gives to VMs
     * @param operationDelay how long each power operation and delete takes (QEMU's share), zero for none
     * @param threads the request threads shared by all agents
     */
    public record Options(int hosts, long memoryPerHostBytes, long reserveBytes, Duration operationDelay, int threads) {
        public Options {
            if (hosts < 1 || hosts > 20_000) {
                throw new IllegalArgumentException("hosts is " + hosts + ": give 1 to 20000");
            }
            if (memoryPerHostBytes <= reserveBytes) {
                throw new IllegalArgumentException("each host needs more memory than its reserve");
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads is " + threads + ": give at least 1");
            }
        }

        public static Options of(int hosts) {
            return new Options(hosts, DEFAULT_HOST_MEMORY, DEFAULT_RESERVE, Duration.ZERO, 16);
        }
    }

    /** Where one simulated agent answers and its token, as {@code POST /api/v1/hosts} wants them. */
    public record Endpoint(String agentUrl, String agentToken, String hostname) {
        @Override
        public String toString() {
            return "Endpoint[" + hostname + " " + agentUrl + ", token=***]";
        }
    }

    private final List<SimulatedAgent> agents = new ArrayList<>();
    private final List<Endpoint> endpoints = new ArrayList<>();
    private final ExecutorService executor;
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();

    private SimulatedAgentFarm(Options options) throws IOException {
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(options.threads(), r -> {
            Thread t = new Thread(r, "sim-agent-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        SecureRandom random = new SecureRandom();
        try {
            for (int i = 0; i < options.hosts(); i++) {
                String hostname = String.format("sim-host-%05d", i);
                byte[] raw = new byte[32];
                random.nextBytes(raw);
                SimulatedVms vms = new SimulatedVms(hostname, options.memoryPerHostBytes(), options.reserveBytes(), options.operationDelay());
                SimulatedAgent agent = new SimulatedAgent(vms, HexFormat.of().formatHex(raw), json, executor,
                        what -> requests.computeIfAbsent(what, k -> new LongAdder()).increment());
                agents.add(agent);
                endpoints.add(new Endpoint(agent.url(), agent.token(), hostname));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Starts the agents; each listens on its own free loopback port when this returns. */
    public static SimulatedAgentFarm start(Options options) throws IOException {
        return new SimulatedAgentFarm(options);
    }

    public List<Endpoint> endpoints() {
        return List.copyOf(endpoints);
    }

    /** Requests served so far, by route ({@code GET /host}, {@code POST /vms/{uuid}/start}…). */
    public Map<String, Long> requestCounts() {
        Map<String, Long> counts = new TreeMap<>();
        requests.forEach((k, v) -> counts.put(k, v.sum()));
        return counts;
    }

    /**
     * The intervals between two consecutive polls of a host (its VM list read), over all hosts, in
     * ms, sorted: how often the master's host poller really reaches each host.
     */
    public List<Double> pollIntervalsMs() {
        List<Double> intervals = new ArrayList<>();
        for (SimulatedAgent agent : agents) {
            List<Long> at = agent.listedAt();
            for (int i = 1; i < at.size(); i++) {
                intervals.add((at.get(i) - at.get(i - 1)) / 1e6);
            }
        }
        intervals.sort(null);
        return intervals;
    }

    @Override
    public void close() {
        agents.forEach(SimulatedAgent::stop);
        executor.shutdownNow();
    }

    /**
     * Runs a farm on its own until killed, for trying a master by hand:
     * {@code SimulatedAgentFarm HOSTS} prints one {@code URL TOKEN} line per agent.
     */
    public static void main(String[] args) throws Exception {
        int hosts = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        SimulatedAgentFarm farm = start(Options.of(hosts));
        Runtime.getRuntime().addShutdownHook(new Thread(farm::close));
        for (Endpoint e : farm.endpoints()) {
            System.out.println(e.agentUrl() + " " + e.agentToken());
        }
        System.out.flush();
        Thread.currentThread().join();
    }
}
