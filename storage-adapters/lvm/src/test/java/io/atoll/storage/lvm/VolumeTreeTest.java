package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VolumeTreeTest {

    private static Volume volume(String lv, String parent, long born, List<String> identity, String... extra) {
        List<String> tags = new ArrayList<>(identity);
        tags.add(Tags.tag(Tags.BORN, Long.toString(born)));
        if (parent != null) {
            tags.add(Tags.tag(Tags.PARENT, parent));
        }
        tags.addAll(List.of(extra));
        return new Volume(lv, 8 << 20, born, 1, tags);
    }

    /** A host died between the two retags of a snapshot: both volumes claim the disk; the newer one is it. */
    @Test
    void aDoubleClaimGoesToTheNewerVolumeAndTheOlderIsABase() {
        List<String> disk = Snapshots.identity("d", Volume.Kind.DISK, "disk", null, Map.of());
        Volume old = volume("vol-1", null, 1, disk);
        Volume next = volume("vol-2", "vol-1", 2, disk);
        VolumeTree t = new VolumeTree(List.of(next, old));
        assertThat(t.get("d").lvName()).isEqualTo("vol-2");
        assertThat(t.kindOf(old)).isEqualTo(Volume.Kind.BASE);
        assertThat(t.visible()).extracting(Volume::lvName).containsExactly("vol-2");
        assertThat(t.children(old)).extracting(Volume::lvName).containsExactly("vol-2");
    }

    @Test
    void pendingAndForeignVolumesAreNotShownAndHoldersAreFoundBelow() {
        Volume snap = volume("vol-1", null, 1, Snapshots.identity("s", Volume.Kind.SNAPSHOT, "s", "d", Map.of()));
        Volume disk = volume("vol-2", "vol-1", 2, Snapshots.identity("d", Volume.Kind.DISK, "d", null, Map.of()),
                Tags.tag(Tags.RW, "host-b"));
        Volume pending = volume("vol-3", "vol-1", 3, List.of(Tags.tag(Tags.KIND, "base")), Tags.PENDING);
        Volume foreign = new Volume("home", 1 << 30, 100, 1, List.of());
        VolumeTree t = new VolumeTree(List.of(snap, disk, pending, foreign));
        assertThat(t.visible()).extracting(Volume::id).containsExactlyInAnyOrder("s", "d");
        assertThat(t.volume("home")).isNull();
        assertThat(t.holderInSubtree(snap)).hasValueSatisfying(h -> assertThat(h).contains("disk d", "read-write on host host-b"));
        assertThat(t.holderInSubtree(pending)).isEmpty();
    }
}
