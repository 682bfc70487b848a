package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.ChangedBlocks.Extent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WindowTest {
    private final Window w = new Window("/dev/loop3", 210763776L, 104857600L);

    @Test
    void backingReferencesDescribeTheWindowWithoutLockingAndWithDirectIo() {
        assertThat(w.qcow2Filename()).isEqualTo("json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"raw\",\"offset\":210763776,"
                + "\"size\":104857600,\"file\":{\"driver\":\"host_device\",\"filename\":\"/dev/loop3\",\"locking\":\"off\","
                + "\"cache\":{\"direct\":true}}}}");
    }

    @Test
    void recognisesItselfInWhatARunningQemuReports() {
        assertThat(w.matches(w.rawNode())).isTrue();
        assertThat(w.matches(w.qcow2Node())).isTrue();
        // QMP's names of nodes opened from backing references: json: text, numbers possibly as strings.
        assertThat(w.matches(Map.of("filename", "json:{\"offset\": 210763776, \"driver\": \"raw\", \"size\": 104857600, "
                + "\"file\": {\"driver\": \"host_device\", \"filename\": \"/dev/loop3\"}}", "node-name", "#block1"))).isTrue();
        assertThat(w.matches(Map.of("filename", "json:{\"offset\": \"210763776\", \"driver\": \"raw\"}"))).isTrue();
        assertThat(w.matches(Map.of("filename", "json:{\"offset\": 210763776, \"file\": {\"filename\": \"/dev/loop4\"}}"))).isFalse();
        assertThat(w.matches(Map.of("filename", "json:{\"offset\": 1048576}"))).isFalse();
        assertThat(w.matches(Map.of("filename", "/dev/vg/lv"))).isFalse();
    }

    @Test
    void changedRangesAreSortedAndJoined() {
        assertThat(ChangeTracking.merge(List.of(new Extent(196608, 65536), new Extent(0, 65536), new Extent(65536, 65536),
                new Extent(1 << 20, 65536), new Extent(1 << 20, 131072))))
                .containsExactly(new Extent(0, 131072), new Extent(196608, 65536), new Extent(1 << 20, 131072));
        assertThat(ChangeTracking.merge(List.of())).isEmpty();
    }
}
