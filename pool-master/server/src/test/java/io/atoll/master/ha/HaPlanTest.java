package io.atoll.master.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class HaPlanTest {
    private static final long G = 1L << 30;

    private static HaPlan.HostLoad host(long freeGiB, long... vmGiB) {
        List<Long> vms = new ArrayList<>();
        for (long v : vmGiB) {
            vms.add(v * G);
        }
        return new HaPlan.HostLoad(UUID.randomUUID(), freeGiB * G, vms);
    }

    @Test
    void threeHostsWithRoomForOneHostsVmsTolerateOneFailure() {
        // Each host runs 4 GiB of protected VMs and has 4 GiB free: one host's VMs fit on the other two, two hosts' do not fit on one.
        List<HaPlan.HostLoad> pool = List.of(host(4, 2, 2), host(4, 2, 2), host(4, 2, 2));
        assertThat(HaPlan.maxTolerable(pool)).isEqualTo(1);
    }

    @Test
    void anEmptyPoolOfProtectedVmsToleratesAllButOneHost() {
        assertThat(HaPlan.maxTolerable(List.of(host(1), host(1), host(1), host(1)))).isEqualTo(3);
    }

    @Test
    void theWorstSetOfFailedHostsCounts() {
        // Losing the big host needs 6 GiB elsewhere: the two others have 3 + 2 — not enough, although losing a small one is fine.
        List<HaPlan.HostLoad> pool = List.of(host(1, 6), host(3, 1), host(2, 1));
        assertThat(HaPlan.maxTolerable(pool)).isZero();
    }

    @Test
    void fragmentationCounts() {
        // 4 GiB free in total elsewhere, but as 2 + 2: a 3 GiB VM fits nowhere.
        assertThat(HaPlan.maxTolerable(List.of(host(0, 3), host(2), host(2)))).isZero();
        assertThat(HaPlan.maxTolerable(List.of(host(0, 2), host(2), host(2)))).isEqualTo(2); // any two fail: the VM fits on the third
    }

    @Test
    void oneMoreProtectedVmCanBreakThePlan() {
        List<HaPlan.HostLoad> pool = List.of(host(4, 2), host(4, 2), host(4));
        assertThat(HaPlan.maxTolerable(pool)).isEqualTo(2);
        assertThat(HaPlan.maxTolerableWith(pool, 3 * G)).isEqualTo(1);
    }

    @Test
    void largePoolsUseTheHeaviestHosts() {
        List<HaPlan.HostLoad> pool = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            pool.add(host(2, 1));
        }
        // Each failed host's 1 GiB VM needs a slot; k failed hosts need k GiB among 20 − k hosts with 2 GiB each: fits up to k = 13.
        assertThat(HaPlan.maxTolerable(pool)).isEqualTo(13);
    }
}
