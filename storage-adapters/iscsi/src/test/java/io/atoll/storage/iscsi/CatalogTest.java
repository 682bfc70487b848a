package io.atoll.storage.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.StorageErrorCode;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The catalog survives being stored and read back, odd metadata included, and refuses damage. */
class CatalogTest {
    @Test
    void roundTripsThroughAPropertiesFile() throws Exception {
        Instant t = Instant.parse("2024-05-01T10:00:00.123Z");
        Catalog.Disk disk = new Catalog.Disk("d1", "system disk", 1L << 40, 1, null, t,
                Map.of("vm", "web 1", "a=b", "c:d\\e\nf", "ünï", "çødé", "", "empty key"), Map.of("host-a", AccessMode.READ_WRITE));
        Catalog.Disk snap = new Catalog.Disk("s1", "snap", 1L << 40, 2, "d1", t.plusSeconds(1), Map.of(), Map.of("host-b", AccessMode.READ_ONLY));
        Catalog c = Catalog.empty("sr-1", "san", "iqn.2024-01.io.atoll:x", 5L << 40).with(disk).with(snap);

        StringWriter w = new StringWriter();
        c.toProperties().store(w, null);
        Properties p = new Properties();
        p.load(new StringReader(w.toString()));
        Catalog back = Catalog.fromProperties(p);

        assertThat(back).isEqualTo(c);
        assertThat(back.sorted()).extracting(Catalog.Disk::id).containsExactly("d1", "s1");
        assertThat(back.allocated()).isEqualTo(2L << 40);
        assertThat(back.freeLun()).isEqualTo(3);
        assertThat(back.without("d1").freeLun()).isEqualTo(1);
        assertThat(back.disks().get("d1").writer()).contains("host-a");
        assertThat(back.disks().get("s1").writer()).isEmpty();
    }

    @Test
    void aDamagedCatalogIsCorrupt() {
        Properties p = Catalog.empty("sr-1", "san", "iqn.2024-01.io.atoll:x", 1).toProperties();
        p.setProperty("disk.d1.name", "half a disk");
        assertThat(IscsiTestRig.assertError(StorageErrorCode.CORRUPT, () -> Catalog.fromProperties(p)).getMessage()).contains("sr-1").contains("d1");
        Properties other = new Properties();
        other.setProperty("format", "99");
        IscsiTestRig.assertError(StorageErrorCode.CORRUPT, () -> Catalog.fromProperties(other));
    }
}
