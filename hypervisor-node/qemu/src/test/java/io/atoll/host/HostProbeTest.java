package io.atoll.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.node.api.Accelerator;
import io.atoll.node.api.HostFacts.KvmInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host facts through libc, read off this machine, and the KVM verdicts on prepared trees. */
class HostProbeTest {

    @Test
    void readsThisHostsFacts() {
        HostProbe probe = new HostProbe();
        assertThat(probe.cpuCount()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(probe.cpuModel()).isNotBlank();
        HostProbe.Memory mem = probe.memory();
        assertThat(mem.total()).isGreaterThan(256L << 20);
        assertThat(mem.free()).isBetween(1L, mem.total());
        assertThat(mem.available()).isBetween(1L, mem.total());
        assertThat(probe.freeSpace(Path.of("/tmp"))).isPositive();
        KvmInfo kvm = probe.kvm();
        assertThat(kvm.reason()).isNotBlank();
        assertThat(probe.resolve(Accelerator.AUTO)).isEqualTo(kvm.usable() ? Accelerator.KVM : Accelerator.TCG);
        assertThat(probe.resolve(Accelerator.TCG)).isEqualTo(Accelerator.TCG);
    }

    @Test
    void kvmIsUnusableWithoutDevKvmOrUnderNestedPvmOrWithoutVirtualizationFlags(@TempDir Path dir) throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path sys = Files.createDirectories(dir.resolve("sys"));
        Files.writeString(proc.resolve("cpuinfo"), "model name\t: Test CPU\nflags\t\t: fpu sse2\n");

        KvmInfo missing = new HostProbe(dir.resolve("no-kvm"), sys, proc).kvm();
        assertThat(missing.present()).isFalse();
        assertThat(missing.usable()).isFalse();
        assertThat(missing.reason()).contains("does not exist");

        if (Files.exists(Path.of("/dev/kvm"))) {
            KvmInfo noFlags = new HostProbe(Path.of("/dev/kvm"), sys, proc).kvm();
            assertThat(noFlags.usable()).isFalse();
            assertThat(noFlags.reason()).contains("no vmx or svm");

            Files.createDirectories(sys.resolve("kvm_pvm"));
            KvmInfo pvm = new HostProbe(Path.of("/dev/kvm"), sys, proc).kvm();
            assertThat(pvm.usable()).isFalse();
            assertThat(pvm.reason()).contains("kvm_pvm");
        }
    }
}
