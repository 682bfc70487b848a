package io.atoll.agent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The node agent's settings ({@code atoll.agent.*} in application.properties, the environment or -D). */
@ConfigMapping(prefix = "atoll.agent")
public interface AgentConfig {

    /** Persistent per-VM state: specs, console and QEMU logs, suspend images. */
    @WithDefault("/var/lib/atoll/vms")
    Path stateDir();

    /** Runtime files of running VMs (sockets, pidfiles); short, since unix socket paths are limited. */
    @WithDefault("/run/atoll/vms")
    Path runDir();

    /** The QEMU system emulator. */
    @WithDefault("qemu-system-x86_64")
    String qemuBinary();

    /** How long a guest gets after the ACPI power button before a clean shutdown turns hard. */
    @WithDefault("60s")
    Duration cleanShutdownTimeout();

    /** How long QEMU may take to start. */
    @WithDefault("60s")
    Duration qemuStartTimeout();

    /** Memory kept for the host and never given to VMs, in MiB. */
    @WithDefault("512")
    long hostMemoryReserveMib();

    /** The storage plugins folder: one sub-directory per plugin, holding its jars. */
    @WithDefault("/usr/lib/atoll/plugins")
    Path pluginsDir();

    /** Where storage adapters keep their per-host files (one directory each). */
    @WithDefault("/var/lib/atoll/storage")
    Path storageWorkDir();

    /** This host's identity, created at first start. */
    @WithDefault("/var/lib/atoll/host-uuid")
    Path hostUuidFile();

    /**
     * A file holding the bearer token callers must present ({@code Authorization: Bearer …}); the
     * agent creates it with a random token, readable by root only, when it does not exist. Unset:
     * no authentication (only for an agent bound to loopback).
     */
    Optional<Path> tokenFile();

    /** Where the networks realised on this host keep their spec and their DHCP service's files. */
    @WithDefault("/var/lib/atoll/networks")
    Path networkDir();

    /**
     * Run the network commands ({@code ip}, {@code bridge}, {@code tc}, {@code nft}, {@code dnsmasq})
     * inside this network namespace instead of the host's own: for tests on a shared machine.
     */
    Optional<String> networkNamespace();

    /**
     * The watchdog device the HA self-fence pets while the host is not fenced ({@code /dev/watchdog});
     * absent on a host without one, which the agent logs when HA starts.
     */
    @WithDefault("/dev/watchdog")
    Path haWatchdogDevice();
}
