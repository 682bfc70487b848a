package io.atoll.master.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A one-node Kafka (KRaft, broker and controller in one process) for the tests, from the Maven
 * Central jars on the test class path ({@code org.apache.kafka:kafka_2.13}, test scope): a child
 * JVM on two free loopback ports, its storage formatted by {@code kafka.tools.StorageTool}, ready
 * when an {@link Admin} client sees the cluster (~4 s). {@link #stop()} ends it by its pid and
 * deletes its directory. Logs: {@code kafka.log} in that directory, quoted when it fails to start.
 *
 * <p>Its config override is {@code atoll.master.events.kafka.bootstrap-servers}, which switches
 * the master to Kafka; bind it through {@link KafkaProfile}.
 */
public class KafkaBroker implements QuarkusTestResourceLifecycleManager {
    public static final String BOOTSTRAP = "atoll.master.events.kafka.bootstrap-servers";
    private static final Duration READY = Duration.ofSeconds(60);

    private Path root;
    private Process broker;

    @Override
    public Map<String, String> start() {
        int port = Commands.freePort();
        int controllerPort = Commands.freePort();
        try {
            root = Files.createTempDirectory(Path.of("/tmp"), "atoll-kafka-");
            Path config = root.resolve("server.properties");
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", "1");
            p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            p.put("controller.listener.names", "CONTROLLER");
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("inter.broker.listener.name", "PLAINTEXT");
            p.put("log.dirs", root.resolve("data").toString());
            p.put("num.partitions", "1");
            p.put("offsets.topic.replication.factor", "1");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("share.coordinator.state.topic.replication.factor", "1");
            p.put("share.coordinator.state.topic.min.isr", "1");
            p.put("group.initial.rebalance.delay.ms", "0");
            try (var out = Files.newOutputStream(config)) {
                p.store(out, "atoll test broker");
            }
            Path log = root.resolve("kafka.log");
            Commands.run(log, READY, java("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(), "-c", config.toString()));
            broker = process(java("kafka.Kafka", config.toString()), log);
            awaitReady("127.0.0.1:" + port, log);
            return Map.of(BOOTSTRAP, "127.0.0.1:" + port);
        } catch (IOException e) {
            stop();
            throw new IllegalStateException("cannot prepare a Kafka directory under /tmp: " + e, e);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** A JVM on this test JVM's own class path (which holds kafka_2.13 and its dependencies). */
    private static List<String> java(String main, String... args) {
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xms64m", "-Xmx512m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), main));
        argv.addAll(List.of(args));
        return argv;
    }

    private static Process process(List<String> argv, Path log) throws IOException {
        return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private void awaitReady(String bootstrap, Path log) {
        long deadline = System.nanoTime() + READY.toNanos();
        Map<String, Object> config = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
        try (Admin admin = Admin.create(config)) {
            while (true) {
                if (!broker.isAlive()) {
                    throw new IllegalStateException("Kafka exited with " + broker.exitValue() + "; log " + log + ":\n" + Commands.tail(log));
                }
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception notYet) {
                    // not answering yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Kafka did not answer on " + bootstrap + " within " + READY.toSeconds() + " s; log " + log
                            + ":\n" + Commands.tail(log));
                }
            }
        }
    }

    @Override
    public void stop() {
        if (broker != null) {
            ProcessHandle handle = broker.toHandle();
            handle.destroy();
            try {
                if (!broker.waitFor(20, TimeUnit.SECONDS)) {
                    handle.destroyForcibly();
                    broker.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                handle.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            broker = null;
        }
        Commands.deleteTree(root);
        root = null;
    }
}
