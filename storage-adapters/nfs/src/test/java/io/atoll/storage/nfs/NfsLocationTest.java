package io.atoll.storage.nfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NfsLocationTest {

    @Test
    void namesTheDirectoryAndItsFilesAsQemuDoes() {
        NfsLocation l = new NfsLocation("nas.example.org", "/srv/atoll/", "pool1/sr-42");
        assertThat(l.export()).isEqualTo("/srv/atoll");
        assertThat(l.directory()).isEqualTo("/srv/atoll/pool1/sr-42");
        assertThat(l.components()).containsExactly("pool1", "sr-42");
        assertThat(l.url("img-1.qcow2")).isEqualTo("nfs://nas.example.org/srv/atoll/pool1/sr-42/img-1.qcow2");
        assertThat(new NfsLocation("10.0.0.5", "/", "sr1").url("x")).isEqualTo("nfs://10.0.0.5/sr1/x");
    }

    @Test
    void comesFromTheDeviceConfig() {
        SrConfig c = new SrConfig("u", "sr", "nfs", Map.of("server", "10.0.0.5", "export", "/srv", "path", "sr1"));
        assertThat(NfsLocation.of(c)).isEqualTo(new NfsLocation("10.0.0.5", "/srv", "sr1"));
        SrConfig missing = new SrConfig("u", "sr", "nfs", Map.of("server", "10.0.0.5", "path", "sr1"));
        assertThatThrownBy(() -> NfsLocation.of(missing)).hasMessageContaining("'export'");
    }

    @Test
    void refusesWhatAnNfsUrlCannotCarryOrWhatEscapes() {
        String[][] bad = {{"", "/srv", "a"}, {"a/b", "/srv", "a"}, {"h", "srv", "a"}, {"h", "/srv", "/a"},
            {"h", "/srv", "a/../b"}, {"h", "/srv/../etc", "a"}, {"h", "/srv", "a//b"}, {"h", "/srv", "a b"}, {"h", "/srv", ".hidden"}};
        for (String[] b : bad) {
            assertThatThrownBy(() -> new NfsLocation(b[0], b[1], b[2])).as(String.join(" ", b)).isInstanceOf(StorageException.class)
                    .extracting(e -> ((StorageException) e).code()).isEqualTo(StorageErrorCode.INVALID_ARGUMENT);
        }
    }
}
