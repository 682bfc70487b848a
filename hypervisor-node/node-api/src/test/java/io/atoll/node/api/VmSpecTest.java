package io.atoll.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Specs check themselves: every refusal names the object and says what to give instead. */
class VmSpecTest {

    private static VmSpec spec(int vcpus, long memory, List<DiskSpec> disks, List<NicSpec> nics) {
        return new VmSpec(null, "web", vcpus, memory, null, disks, nics, null, null);
    }

    @Test
    void defaultsAreFilledIn() {
        VmSpec s = spec(1, 64, null, null);
        assertThat(s.uuid()).isNotNull();
        assertThat(s.accelerator()).isEqualTo(Accelerator.AUTO);
        assertThat(s.machine()).isEqualTo("pc");
        assertThat(s.disks()).isEmpty();
        assertThat(s.nics()).isEmpty();
    }

    @Test
    void outOfRangeValuesAreRefused() {
        assertThatThrownBy(() -> spec(0, 64, null, null)).hasMessage("vm web: vcpus is 0: set it between 1 and 255");
        assertThatThrownBy(() -> spec(256, 64, null, null)).hasMessageContaining("between 1 and 255");
        assertThatThrownBy(() -> spec(1, 8, null, null)).hasMessage("vm web: memoryMiB is 8: give at least 16 MiB");
        assertThatThrownBy(() -> new VmSpec(null, " ", 1, 64, null, null, null, null, null)).hasMessageContaining("give 1-64 printable characters");
        assertThatThrownBy(() -> new VmSpec(null, "a\nb", 1, 64, null, null, null, null, null)).hasMessageContaining("printable");
        assertThatThrownBy(() -> new VmSpec(null, "web", 1, 64, null, null, null, null, "pc;rm")).hasMessageContaining("machine type");
    }

    @Test
    void devicesAreChecked() {
        DiskSpec d = DiskSpec.file("disk0", "/a.qcow2", "qcow2", 0);
        assertThatThrownBy(() -> spec(1, 64, List.of(d, d), null)).hasMessageContaining("device id 'disk0' is used twice");
        assertThatThrownBy(() -> DiskSpec.file("Disk 0", "/a", "raw", 0)).hasMessageContaining("disk id 'Disk 0' is invalid");
        assertThatThrownBy(() -> DiskSpec.file("disk0", "/a", "vmdk", 0)).hasMessageContaining("format 'vmdk' is not supported: use raw or qcow2");
        assertThatThrownBy(() -> new DiskSpec("disk0", "raw", Map.of("filename", "/a"), null, false, null, null))
                .hasMessageContaining("source needs a 'driver'");
        assertThatThrownBy(() -> new NicSpec("nic0", "01:00:00:00:00:01", null, null, null)).hasMessageContaining("multicast");
        assertThatThrownBy(() -> new NicSpec("nic0", "zz", null, null, null)).hasMessageContaining("use the form 52:54:00:12:34:56");
        assertThatThrownBy(() -> new NicSpec("nic0", null, NicSpec.NicMode.TAP, null, null)).hasMessageContaining("needs 'ifname'");
        assertThat(new NicSpec("nic0", "52:54:00:AB:CD:EF", null, null, null).mac()).isEqualTo("52:54:00:ab:cd:ef");
        assertThat(d.localPath()).isEqualTo("/a.qcow2");
        assertThatThrownBy(() -> new BootSpec(null, null, null)).hasMessageContaining("'kernel' is required");
        assertThatThrownBy(() -> new ShutdownRequest(false, -1)).hasMessageContaining("give 0 to 86400 seconds");
    }
}
