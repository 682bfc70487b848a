package io.atoll.vm;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The files of one VM. Runtime files live while QEMU runs; state files persist.
 *
 * @param runDir per-VM runtime directory (sockets, pidfile)
 * @param stateDir per-VM state directory (spec, logs, suspend image)
 */
public record VmPaths(Path runDir, Path stateDir) {

    static VmPaths of(NodeConfig config, UUID uuid) {
        return new VmPaths(config.runDir().resolve(uuid.toString()), config.stateDir().resolve(uuid.toString()));
    }

    public Path qmpSocket() {
        return runDir.resolve("qmp.sock");
    }

    public Path serialSocket() {
        return runDir.resolve("serial.sock");
    }

    public Path vncSocket() {
        return runDir.resolve("vnc.sock");
    }

    public Path pidFile() {
        return runDir.resolve("qemu.pid");
    }

    /** Where QEMU's start-up errors go (the daemonizing parent's stderr). */
    public Path startErrors() {
        return runDir.resolve("start.err");
    }

    /** Private files holding the disks' secrets for QEMU's {@code secret} objects. */
    public Path secretsDir() {
        return runDir.resolve("secrets");
    }

    /** A socket for streaming a suspend image in or out. */
    public Path stateSocket() {
        return runDir.resolve("state.sock");
    }

    /** QEMU's own log: its stderr once daemonized. */
    public Path qemuLog() {
        return stateDir.resolve("qemu.log");
    }

    /** Everything the guest wrote on its serial port. */
    public Path consoleLog() {
        return stateDir.resolve("console.log");
    }

    public Path record() {
        return stateDir.resolve("vm.json");
    }

    public Path suspendImage() {
        return stateDir.resolve("suspend.state");
    }
}
