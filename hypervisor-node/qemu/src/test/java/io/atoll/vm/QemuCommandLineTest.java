package io.atoll.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.node.api.Accelerator;
import io.atoll.node.api.BootSpec;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.NicSpec;
import io.atoll.node.api.VmSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    private final VmPaths paths = new VmPaths(Path.of("/run/atoll/vms/x"), Path.of("/var/lib/atoll/vms/x"));
    private final UUID uuid = UUID.fromString("3f2a0000-0000-4000-8000-000000000001");

    private VmSpec spec(String name, List<DiskSpec> disks, List<NicSpec> nics, BootSpec boot) {
        return new VmSpec(uuid, name, 2, 512, boot, disks, nics, Accelerator.AUTO, null);
    }

    private static String after(List<String> args, String option, int nth) {
        int seen = 0;
        for (int i = 0; i < args.size() - 1; i++) {
            if (args.get(i).equals(option) && seen++ == nth) {
                return args.get(i + 1);
            }
        }
        throw new AssertionError(option + " #" + nth + " not in " + args);
    }

    @Test
    void anArgumentListWithTheRuntimeFilesAndAPausedStart() {
        List<String> a = QemuCommandLine.build("qemu-system-x86_64", spec("web, db", List.of(), List.of(), null),
                Accelerator.TCG, paths, false);
        assertThat(a.get(0)).isEqualTo("qemu-system-x86_64");
        assertThat(after(a, "-name", 0)).isEqualTo("guest=web,, db,debug-threads=on");
        assertThat(after(a, "-uuid", 0)).isEqualTo(uuid.toString());
        assertThat(after(a, "-accel", 0)).isEqualTo("tcg");
        assertThat(after(a, "-smp", 0)).isEqualTo("2");
        assertThat(after(a, "-m", 0)).isEqualTo("512M");
        assertThat(after(a, "-pidfile", 0)).isEqualTo("/run/atoll/vms/x/qemu.pid");
        assertThat(after(a, "-qmp", 0)).isEqualTo("unix:/run/atoll/vms/x/qmp.sock,server=on,wait=off");
        assertThat(after(a, "-chardev", 0)).contains("path=/run/atoll/vms/x/serial.sock", "logfile=/var/lib/atoll/vms/x/console.log");
        assertThat(after(a, "-vnc", 0)).isEqualTo("unix:/run/atoll/vms/x/vnc.sock");
        assertThat(after(a, "-D", 0)).isEqualTo("/var/lib/atoll/vms/x/qemu.log");
        assertThat(a).contains("-S", "-daemonize", "-nodefaults").doesNotContain("-incoming", "-cpu");
    }

    @Test
    void kvmUsesTheHostCpuAndIncomingWaitsForAStream() {
        List<String> a = QemuCommandLine.build("qemu", spec("vm", List.of(), List.of(), null), Accelerator.KVM, paths, true);
        assertThat(after(a, "-cpu", 0)).isEqualTo("host");
        assertThat(after(a, "-incoming", 0)).isEqualTo("defer");
        assertThatThrownBy(() -> QemuCommandLine.build("qemu", spec("vm", List.of(), List.of(), null), Accelerator.AUTO, paths, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void disksAreBlockdevNodePairsAndNicsGetStableMacs() throws Exception {
        DiskSpec qcow = DiskSpec.file("disk0", "/srv/a b.qcow2", "qcow2", 1);
        DiskSpec window = new DiskSpec("disk1", "raw", Map.of("driver", "host_device", "filename", "/dev/loop0"),
                Map.of("offset", 1048576, "size", 4194304), true, DiskSpec.DiskBus.IDE, null);
        NicSpec user = new NicSpec("nic0", null, null, null, null);
        NicSpec tap = new NicSpec("nic1", "52:54:00:AA:BB:CC", NicSpec.NicMode.TAP, "tap-vm1", "e1000");
        List<String> a = QemuCommandLine.build("qemu", spec("vm", List.of(qcow, window), List.of(user, tap), null),
                Accelerator.TCG, paths, false);

        assertThat(json(after(a, "-blockdev", 0))).isEqualTo(Map.of("driver", "file", "filename", "/srv/a b.qcow2",
                "node-name", "disk0-file", "read-only", false));
        assertThat(json(after(a, "-blockdev", 1))).isEqualTo(Map.of("driver", "qcow2", "node-name", "disk0",
                "file", "disk0-file", "read-only", false));
        assertThat(after(a, "-device", 1)).isEqualTo("virtio-blk-pci,id=disk0,drive=disk0,bootindex=1");
        assertThat(after(a, "-blockdev", 3)).contains("\"driver\":\"raw\"", "\"offset\":1048576", "\"size\":4194304", "\"read-only\":true");
        assertThat(after(a, "-device", 2)).isEqualTo("ide-hd,id=disk1,drive=disk1");

        assertThat(after(a, "-netdev", 0)).isEqualTo("user,id=nic0-net");
        assertThat(after(a, "-netdev", 1)).isEqualTo("tap,id=nic1-net,ifname=tap-vm1,script=no,downscript=no");
        String mac = QemuCommandLine.derivedMac(spec("vm", List.of(), List.of(), null), 0);
        assertThat(mac).matches("52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}");
        assertThat(after(a, "-device", 3)).isEqualTo("virtio-net-pci,id=nic0,netdev=nic0-net,mac=" + mac);
        assertThat(after(a, "-device", 4)).isEqualTo("e1000,id=nic1,netdev=nic1-net,mac=52:54:00:aa:bb:cc");
    }

    private static Map<String, Object> json(String text) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readValue(text,
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
    }

    @Test
    void secretsAreObjectsReadFromFiles() {
        DiskSpec d = new DiskSpec("disk0", "raw", Map.of("driver", "iscsi", "password-secret", "chap-0"), null, false, null, null,
                Map.of("chap-0", "pw"));
        List<String> a = QemuCommandLine.build("qemu", spec("vm", List.of(d), List.of(), null), Accelerator.TCG, paths, false);
        assertThat(after(a, "-object", 0)).isEqualTo("secret,id=chap-0,format=raw,file=/run/atoll/vms/x/secrets/chap-0");
        assertThat(String.join(" ", a)).doesNotContain("pw,").doesNotContain("=pw");
    }

    @Test
    void directKernelBoot() {
        List<String> a = QemuCommandLine.build("qemu", spec("vm", List.of(), List.of(),
                new BootSpec("/boot/vmlinuz", "/boot/initrd", "console=ttyS0 quiet")), Accelerator.TCG, paths, false);
        assertThat(after(a, "-kernel", 0)).isEqualTo("/boot/vmlinuz");
        assertThat(after(a, "-initrd", 0)).isEqualTo("/boot/initrd");
        assertThat(after(a, "-append", 0)).isEqualTo("console=ttyS0 quiet");
    }

    @Test
    void runtimePathsTooLongForSocketsAreRefused() {
        assertThatThrownBy(() -> new NodeConfig(Path.of("/var/lib/atoll"), Path.of("/run/" + "x".repeat(80)), null, null, null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too long for unix socket paths");
    }
}
