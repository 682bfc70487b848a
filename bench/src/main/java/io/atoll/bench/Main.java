package io.atoll.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code bench/run NAME}: runs one benchmark; {@code bench/run --list} names them. Each prints its
 * figures and, last, {@code NAME: FIGURE=VALUE … goal=GOAL}; it exits non-zero only when it
 * could not measure.
 */
public final class Main {
    /** A benchmark: measures, prints, and returns its summary line without the name. */
    interface Bench {
        String run(String[] args) throws Exception;
    }

    private static final Map<String, Bench> BENCHES = new LinkedHashMap<>();

    static {
        BENCHES.put("vm-start", new VmStartBench());
        BENCHES.put("storage", new StorageBench());
        BENCHES.put("migration", new MigrationBench());
        BENCHES.put("pool-scale", new PoolScaleBench());
        BENCHES.put("network", new NetworkBench());
        BENCHES.put("ha-failover", new HaFailoverBench());
    }

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--list")) {
            BENCHES.keySet().forEach(System.out::println);
            return;
        }
        Bench bench = BENCHES.get(args[0]);
        if (bench == null) {
            System.err.println("bench: no benchmark named '" + args[0] + "'; bench/run --list names them");
            System.exit(2);
        }
        try {
            String summary = bench.run(java.util.Arrays.copyOfRange(args, 1, args.length));
            System.out.println(args[0] + ": " + summary);
        } catch (Exception | AssertionError e) {
            System.err.println(args[0] + ": could not measure: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }
}
