package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagsTest {

    @Test
    void encodedValuesUseOnlyTagCharactersAndNeverTheSeparator() {
        for (String value : List.of("data disk 1", "a/b/../c", "ünï€ode", "_x_2E_", "tab\tnew\nline", "", "a.b+c_d-e:f@g")) {
            String enc = Tags.encode(value);
            assertThat(enc).matches("[A-Za-z0-9_-]*");
            assertThat(Tags.decode(enc)).isEqualTo(value);
        }
    }

    @Test
    void aVolumeReadsItsIdentityAndMetadataBack() {
        List<String> tags = new java.util.ArrayList<>(Snapshots.identity("id-1", Volume.Kind.SNAPSHOT, "before upgrade", "disk-9",
                Map.of("owner", "web 1", "k.e_y", "v.a+l")));
        tags.add(Tags.tag(Tags.RW, "host-a"));
        tags.add(Tags.tag(Tags.RO, "host-b"));
        tags.add(Tags.tag(Tags.RO, "host-c"));
        tags.add("foreign-tag");
        Volume v = new Volume("vol-x", 4 << 20, 7, 1, tags);
        assertThat(v.id()).isEqualTo("id-1");
        assertThat(v.kind()).isEqualTo(Volume.Kind.SNAPSHOT);
        assertThat(v.name()).isEqualTo("before upgrade");
        assertThat(v.snapshotOf()).isEqualTo("disk-9");
        assertThat(v.metadata()).isEqualTo(Map.of("owner", "web 1", "k.e_y", "v.a+l"));
        assertThat(v.writer()).isEqualTo("host-a");
        assertThat(v.readers()).containsExactly("host-b", "host-c");
        assertThat(v.info().readOnly()).isTrue();
    }

    @Test
    void tooLongValuesAreRefused() {
        assertThatThrownBy(() -> Tags.meta("k", "€".repeat(400))).isInstanceOfSatisfying(StorageException.class,
                e -> assertThat(e.code()).isEqualTo(StorageErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> Tags.meta("", "v")).isInstanceOf(StorageException.class);
    }
}
