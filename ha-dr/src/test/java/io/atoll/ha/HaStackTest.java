package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HaStackTest {
    @Test
    void placeholdersAreFilledFromTheStackThenSystemPropertiesThenDefaults() {
        String xml = HaStack.of(new HaTimings(Duration.ofSeconds(20))).bindAddress("127.0.0.2").port(7900)
                .initialHosts(List.of("127.0.0.2[7900]", "127.0.0.3[7900]")).render();
        assertThat(xml).doesNotContain("${")
                .contains("bind_addr=\"127.0.0.2\"", "bind_port=\"7900\"", "initial_hosts=\"127.0.0.2[7900],127.0.0.3[7900]\"")
                .contains("<FD_ALL3 timeout=\"4000\"", "interval=\"1000\"", "<VERIFY_SUSPECT2 timeout=\"1000\"")
                .contains("<MERGE3 min_interval=\"2000\"", "max_interval=\"5000\"", "join_timeout=\"4000\"")
                .contains("port_range=\"0\"");
        System.setProperty("atoll.ha.max-threads", "7");
        try {
            assertThat(HaStack.of(HaTimings.defaults()).render()).contains("thread_pool.max_threads=\"7\"")
                    .contains("bind_addr=\"127.0.0.1\"");
        } finally {
            System.clearProperty("atoll.ha.max-threads");
        }
    }

    @Test
    void onlyAtollPlaceholdersAndPlainValuesAreAccepted() {
        assertThatThrownBy(() -> HaStack.of(HaTimings.defaults()).set("jgroups.bind_addr", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HaStack.of(HaTimings.defaults()).set("atoll.ha.port", "1\" evil=\"2"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
