package io.atoll.master.ha;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The host-failures-to-tolerate plan (XenServer's {@code ha-host-failures-to-tolerate}): how many
 * hosts may fail at once with every {@code restart}-priority VM still finding memory on the hosts
 * left. For each number k of failed hosts every set of k hosts is tried (the worst case; pools of
 * more than 12 hosts use the k hosts that hold the most protected memory), and the failed hosts'
 * protected VMs are packed largest first into the free memory of the others (first fit
 * decreasing, as placement would put them one by one). Best-effort VMs are not counted.
 */
public final class HaPlan {

    /** A live host: its free memory for VMs now, and the protected VMs resident on it (memory in bytes). */
    public record HostLoad(UUID host, long freeBytes, List<Long> protectedVmBytes) {
        public HostLoad {
            protectedVmBytes = List.copyOf(protectedVmBytes);
        }

        long protectedBytes() {
            return protectedVmBytes.stream().mapToLong(Long::longValue).sum();
        }
    }

    private static final int EXACT_UP_TO = 12;

    private HaPlan() {
    }

    /** The largest number of simultaneous host failures after which every protected VM restarts (0 … hosts − 1). */
    public static int maxTolerable(List<HostLoad> hosts) {
        int best = 0;
        for (int k = 1; k < hosts.size(); k++) {
            if (!survives(hosts, k)) {
                break;
            }
            best = k;
        }
        return best;
    }

    /** The same with one more protected VM of {@code vmBytes}, placed where placement would: the host with the most free memory. */
    public static int maxTolerableWith(List<HostLoad> hosts, long vmBytes) {
        if (hosts.isEmpty()) {
            return 0;
        }
        HostLoad roomiest = hosts.stream().max(Comparator.comparingLong(HostLoad::freeBytes)).orElseThrow();
        List<HostLoad> with = new ArrayList<>();
        for (HostLoad h : hosts) {
            if (h == roomiest) {
                List<Long> vms = new ArrayList<>(h.protectedVmBytes());
                vms.add(vmBytes);
                with.add(new HostLoad(h.host(), h.freeBytes() - vmBytes, vms));
            } else {
                with.add(h);
            }
        }
        return maxTolerable(with);
    }

    private static boolean survives(List<HostLoad> hosts, int k) {
        if (hosts.size() > EXACT_UP_TO) {
            List<HostLoad> sorted = new ArrayList<>(hosts);
            sorted.sort(Comparator.comparingLong(HostLoad::protectedBytes).reversed());
            return fits(sorted.subList(0, k), sorted.subList(k, sorted.size()));
        }
        int n = hosts.size();
        for (int mask = 0; mask < (1 << n); mask++) {
            if (Integer.bitCount(mask) != k) {
                continue;
            }
            List<HostLoad> failed = new ArrayList<>();
            List<HostLoad> left = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ((mask & (1 << i)) != 0 ? failed : left).add(hosts.get(i));
            }
            if (!fits(failed, left)) {
                return false;
            }
        }
        return true;
    }

    private static boolean fits(List<HostLoad> failed, List<HostLoad> left) {
        List<Long> vms = new ArrayList<>();
        failed.forEach(h -> vms.addAll(h.protectedVmBytes()));
        vms.sort(Comparator.reverseOrder());
        long[] free = left.stream().mapToLong(HostLoad::freeBytes).toArray();
        for (long vm : vms) {
            boolean placed = false;
            for (int i = 0; i < free.length && !placed; i++) {
                if (free[i] >= vm) {
                    free[i] -= vm;
                    placed = true;
                }
            }
            if (!placed) {
                return false;
            }
        }
        return true;
    }

    /** For messages: the plan's loads by host. */
    public static String describe(List<HostLoad> hosts, Map<UUID, String> names) {
        StringBuilder b = new StringBuilder();
        for (HostLoad h : hosts) {
            if (b.length() > 0) {
                b.append("; ");
            }
            b.append(names.getOrDefault(h.host(), h.host().toString())).append(": ").append(h.freeBytes() >> 20).append(" MiB free, ")
                    .append(h.protectedVmBytes().size()).append(" protected VM(s) of ").append(h.protectedBytes() >> 20).append(" MiB");
        }
        return b.toString();
    }
}
