package io.atoll.host;

import com.sun.jna.NativeLong;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.HostFacts.KvmInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Reads the host's facts through libc (JNA) and {@code /proc}: what /dev/kvm offers, CPUs,
 * memory, and free space.
 *
 * <p>KVM counts as usable only when /dev/kvm answers with API version 12 <em>and</em> the CPU
 * exposes hardware virtualization (vmx or svm) <em>and</em> the KVM module is not the nested PVM
 * one. A paravirtualized nested KVM (kvm_pvm) starts QEMU but runs guest code so slowly that
 * firmware takes tens of seconds and Linux kernels hang; {@code AUTO} must not pick it.
 */
public final class HostProbe {
    private static final Logger LOG = Logger.getLogger(HostProbe.class);
    private static final long KVM_GET_API_VERSION = 0xAE00;
    private static final int KVM_API_VERSION = 12;

    private final Path devKvm;
    private final Path sysModule;
    private final Path procDir;
    private volatile String loggedChoice;

    public HostProbe() {
        this(Path.of("/dev/kvm"), Path.of("/sys/module"), Path.of("/proc"));
    }

    HostProbe(Path devKvm, Path sysModule, Path procDir) {
        this.devKvm = devKvm;
        this.sysModule = sysModule;
        this.procDir = procDir;
    }

    /** What /dev/kvm offers and whether guests would run at hardware speed under it. */
    public KvmInfo kvm() {
        if (!Files.exists(devKvm)) {
            return new KvmInfo(false, -1, false, devKvm + " does not exist (no KVM module loaded, or no hardware virtualization)");
        }
        int fd = LibC.INSTANCE.open(devKvm.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) {
            return new KvmInfo(false, -1, false, devKvm + " cannot be opened for read/write (permissions?)");
        }
        int api;
        try {
            api = LibC.INSTANCE.ioctl(fd, new NativeLong(KVM_GET_API_VERSION), new NativeLong(0));
        } finally {
            LibC.INSTANCE.close(fd);
        }
        if (api != KVM_API_VERSION) {
            return new KvmInfo(true, api, false, "KVM API version is " + api + ", QEMU needs " + KVM_API_VERSION);
        }
        if (Files.isDirectory(sysModule.resolve("kvm_pvm"))) {
            return new KvmInfo(true, api, false,
                    "KVM is the nested PVM module (kvm_pvm): guest code runs too slowly under it (firmware takes ~20 s, Linux kernels hang)");
        }
        List<String> flags = cpuFlags();
        if (!flags.contains("vmx") && !flags.contains("svm")) {
            return new KvmInfo(true, api, false,
                    "the CPU shows no hardware virtualization (no vmx or svm flag): /dev/kvm is a nested or paravirtualized KVM");
        }
        return new KvmInfo(true, api, true, "KVM API " + api + " with " + (flags.contains("vmx") ? "Intel VT-x" : "AMD-V"));
    }

    /**
     * Resolves {@code AUTO} for this host and logs the choice and why. {@code KVM} and {@code TCG}
     * stay as they are.
     */
    public Accelerator resolve(Accelerator requested) {
        if (requested != Accelerator.AUTO) {
            return requested;
        }
        KvmInfo kvm = kvm();
        Accelerator choice = kvm.usable() ? Accelerator.KVM : Accelerator.TCG;
        String why = choice.qemuName() + ": " + kvm.reason();
        if (!why.equals(loggedChoice)) {
            loggedChoice = why;
            if (kvm.usable()) {
                LOG.infof("accelerator auto: using kvm (%s)", kvm.reason());
            } else {
                LOG.warnf("accelerator auto: using tcg, KVM is unusable: %s", kvm.reason());
            }
        }
        return choice;
    }

    /** Logical CPUs online. */
    public int cpuCount() {
        long n = LibC.INSTANCE.sysconf(LibC.SC_NPROCESSORS_ONLN).longValue();
        return n > 0 ? (int) n : Runtime.getRuntime().availableProcessors();
    }

    /** The CPU's model name, from /proc/cpuinfo. */
    public String cpuModel() {
        return cpuInfoField("model name").orElse("unknown");
    }

    private List<String> cpuFlags() {
        return cpuInfoField("flags").map(f -> List.of(f.split("\\s+"))).orElse(List.of());
    }

    private Optional<String> cpuInfoField(String field) {
        try {
            for (String line : Files.readAllLines(procDir.resolve("cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(field)) {
                    return Optional.of(line.substring(colon + 1).trim());
                }
            }
        } catch (IOException e) {
            LOG.debugf("cannot read cpuinfo: %s", e.getMessage());
        }
        return Optional.empty();
    }

    /** Memory figures in bytes: total and free from sysinfo(2), available from /proc/meminfo. */
    public record Memory(long total, long free, long available) {
    }

    public Memory memory() {
        LibC.SysInfo info = new LibC.SysInfo();
        if (LibC.INSTANCE.sysinfo(info) != 0) {
            throw new IllegalStateException("sysinfo(2) failed");
        }
        long unit = Math.max(1, info.memUnit);
        long total = info.totalram.longValue() * unit;
        long free = info.freeram.longValue() * unit;
        long available = memInfoKb("MemAvailable").map(kb -> kb * 1024).orElse(free + info.bufferram.longValue() * unit);
        return new Memory(total, free, available);
    }

    private Optional<Long> memInfoKb(String key) {
        try {
            for (String line : Files.readAllLines(procDir.resolve("meminfo"))) {
                if (line.startsWith(key + ":")) {
                    return Optional.of(Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debugf("cannot read meminfo: %s", e.getMessage());
        }
        return Optional.empty();
    }

    /** Bytes available to unprivileged writers on the file system holding {@code path}, by statvfs(3). */
    public long freeSpace(Path path) {
        LibC.StatVfs buf = new LibC.StatVfs();
        if (LibC.INSTANCE.statvfs(path.toString(), buf) != 0) {
            throw new IllegalStateException("statvfs(" + path + ") failed: does the directory exist?");
        }
        return buf.bavail * buf.frsize.longValue();
    }

    /** The host's name. */
    public String hostname() {
        try {
            return Files.readString(procDir.resolve("sys/kernel/hostname")).trim();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** Sends a signal to a process. */
    public static boolean signal(long pid, int signal) {
        return LibC.INSTANCE.kill((int) pid, signal) == 0;
    }

}
