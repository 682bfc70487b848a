package io.atoll.vm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how a host runs VMs.
 *
 * @param stateDir persistent per-VM state: the spec, the console and QEMU logs, suspend images
 * @param runDir runtime files of running VMs (QMP, serial and VNC sockets, pidfile); a tmpfs is fine
 * @param qemuBinary the QEMU system emulator to run
 * @param cleanShutdownTimeout how long a guest gets after the ACPI power button before a hard stop
 * @param qemuStartTimeout how long QEMU may take to start and answer QMP
 * @param hostMemoryReserveMiB memory kept for the host itself, never given to VMs
 */
public record NodeConfig(Path stateDir, Path runDir, String qemuBinary, Duration cleanShutdownTimeout,
                         Duration qemuStartTimeout, long hostMemoryReserveMiB) {

    /** Longest runtime directory path that leaves room for socket names under the 107-byte limit. */
    static final int MAX_RUN_DIR_LENGTH = 107 - 37 - "/serial.sock".length();

    public NodeConfig {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(runDir, "runDir");
        stateDir = stateDir.toAbsolutePath().normalize();
        runDir = runDir.toAbsolutePath().normalize();
        if (runDir.toString().length() > MAX_RUN_DIR_LENGTH) {
            throw new IllegalArgumentException("runtime directory " + runDir + " is too long for unix socket paths: keep it under "
                    + MAX_RUN_DIR_LENGTH + " characters");
        }
        if (runDir.toString().contains(",") || stateDir.toString().contains(",")) {
            throw new IllegalArgumentException("the state and runtime directories must not contain ',' (QEMU option syntax)");
        }
        if (qemuBinary == null || qemuBinary.isBlank()) {
            qemuBinary = "qemu-system-x86_64";
        }
        if (cleanShutdownTimeout == null) {
            cleanShutdownTimeout = Duration.ofSeconds(60);
        }
        if (qemuStartTimeout == null) {
            qemuStartTimeout = Duration.ofSeconds(60);
        }
    }
}
