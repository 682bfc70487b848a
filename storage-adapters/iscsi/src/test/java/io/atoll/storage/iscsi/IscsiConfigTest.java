package io.atoll.storage.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** device-config parsing: defaults, and errors that name the key and never the password. */
class IscsiConfigTest {
    static final Map<String, String> GOOD = Map.of("portal", "10.0.0.5", "target", "iqn.2024-01.io.atoll:sr1",
            "backing-dir", "/srv/luns", "capacity", "1073741824");

    static SrConfig sr(Map<String, String> changes) {
        Map<String, String> dc = new HashMap<>(GOOD);
        dc.putAll(changes);
        dc.values().removeIf(String::isEmpty);
        return new SrConfig("u-1", "san", "iscsi", dc);
    }

    @Test
    void readsKeysWithDefaults() {
        IscsiConfig c = IscsiConfig.of(sr(Map.of()));
        assertThat(c.portal()).isEqualTo("10.0.0.5:3260");
        assertThat(c.backingDir()).isEqualTo(Path.of("/srv/luns"));
        assertThat(c.chap()).isEmpty();
        assertThat(c.controlPort()).isZero();
        assertThat(c.managementTimeout()).isEqualTo(Duration.ofSeconds(30));
        IscsiConfig chap = IscsiConfig.of(sr(Map.of("portal", "[::1]:3261", "chap-user", "u", "chap-password", "pw", "tgt-control-port", "9")));
        assertThat(chap.portal()).isEqualTo("[::1]:3261");
        assertThat(chap.chap()).contains(new Chap("u", "pw"));
        assertThat(chap.chap().get().toString()).doesNotContain("pw");
        assertThat(chap.controlPort()).isEqualTo(9);
    }

    @Test
    void badValuesNameTheirKey() {
        Map<Map<String, String>, String> bad = Map.of(
                Map.of("portal", ""), "'portal' is required",
                Map.of("portal", "a b:1"), "'portal'",
                Map.of("portal", "h:70000"), "'portal'",
                Map.of("target", "IQN.X"), "'target'",
                Map.of("backing-dir", "luns"), "'backing-dir'",
                Map.of("capacity", "10G"), "'capacity'",
                Map.of("capacity", "0"), "'capacity'",
                Map.of("chap-password", "hunter2-secret"), "'chap-user'",
                Map.of("management-timeout-seconds", "0"), "'management-timeout-seconds'");
        bad.forEach((change, expected) -> assertThat(IscsiTestRig.assertError(StorageErrorCode.INVALID_ARGUMENT, () -> IscsiConfig.of(sr(change))).getMessage()).contains(expected).doesNotContain("hunter2-secret"));
    }
}
