package io.atoll.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.atoll.node.api.Accelerator;
import io.atoll.node.api.DiskSpec;
import io.atoll.node.api.NicSpec;
import io.atoll.node.api.VmSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds QEMU's argument list for a VM: never a shell string. QEMU starts daemonized with a
 * pidfile and its QMP socket, paused ({@code -S}) so that the agent is connected before the guest
 * runs a single instruction; the agent then sends {@code cont}.
 */
public final class QemuCommandLine {
    private static final ObjectMapper JSON = new ObjectMapper();

    private QemuCommandLine() {
    }

    /**
     * @param spec the VM
     * @param accelerator the resolved accelerator (not AUTO)
     * @param paths the VM's files
     * @param incoming whether QEMU waits for a migration stream ({@code -incoming defer})
     */
    public static List<String> build(String qemuBinary, VmSpec spec, Accelerator accelerator, VmPaths paths, boolean incoming) {
        if (accelerator == Accelerator.AUTO) {
            throw new IllegalArgumentException("resolve the accelerator before building the command line");
        }
        List<String> a = new ArrayList<>();
        a.add(qemuBinary);
        a.addAll(List.of("-name", "guest=" + escape(spec.name()) + ",debug-threads=on"));
        a.addAll(List.of("-uuid", spec.uuid().toString()));
        a.addAll(List.of("-machine", spec.machine()));
        a.addAll(List.of("-accel", accelerator.qemuName()));
        if (accelerator == Accelerator.KVM) {
            a.addAll(List.of("-cpu", "host"));
        }
        a.addAll(List.of("-smp", Integer.toString(spec.vcpus())));
        a.addAll(List.of("-m", spec.memoryMiB() + "M"));
        a.addAll(List.of("-nodefaults", "-no-user-config", "-msg", "timestamp=on"));
        a.add("-S");
        a.addAll(List.of("-daemonize", "-pidfile", paths.pidFile().toString()));
        a.addAll(List.of("-D", paths.qemuLog().toString()));
        a.addAll(List.of("-qmp", "unix:" + paths.qmpSocket() + ",server=on,wait=off"));
        a.addAll(List.of("-chardev", "socket,id=serial0,path=" + paths.serialSocket() + ",server=on,wait=off,logfile="
                + paths.consoleLog() + ",logappend=on"));
        a.addAll(List.of("-serial", "chardev:serial0"));
        a.addAll(List.of("-device", "VGA,id=video0"));
        a.addAll(List.of("-vnc", "unix:" + paths.vncSocket()));
        for (DiskSpec disk : spec.disks()) {
            for (String secretId : disk.secrets().keySet()) {
                a.addAll(List.of("-object", "secret,id=" + secretId + ",format=raw,file=" + paths.secretsDir().resolve(secretId)));
            }
            addDisk(a, disk);
        }
        int index = 0;
        for (NicSpec nic : spec.nics()) {
            addNic(a, spec, nic, index++);
        }
        if (spec.boot() != null) {
            a.addAll(List.of("-kernel", spec.boot().kernel()));
            if (spec.boot().initrd() != null) {
                a.addAll(List.of("-initrd", spec.boot().initrd()));
            }
            if (spec.boot().cmdline() != null) {
                a.addAll(List.of("-append", spec.boot().cmdline()));
            }
        }
        if (incoming) {
            a.addAll(List.of("-incoming", "defer"));
        }
        return a;
    }

    private static void addDisk(List<String> a, DiskSpec disk) {
        Map<String, Object> proto = new LinkedHashMap<>(disk.source());
        proto.put("node-name", disk.id() + "-file");
        proto.putIfAbsent("read-only", disk.readOnly());
        Map<String, Object> format = new LinkedHashMap<>();
        format.put("driver", disk.format());
        format.put("node-name", disk.id());
        format.put("file", disk.id() + "-file");
        format.put("read-only", disk.readOnly());
        format.putAll(disk.formatOptions());
        a.addAll(List.of("-blockdev", json(proto), "-blockdev", json(format)));
        String device = switch (disk.bus()) {
            case VIRTIO -> "virtio-blk-pci";
            case IDE -> "ide-hd";
        };
        String dev = device + ",id=" + disk.id() + ",drive=" + disk.id();
        if (disk.bootIndex() != null) {
            dev += ",bootindex=" + disk.bootIndex();
        }
        a.addAll(List.of("-device", dev));
    }

    private static void addNic(List<String> a, VmSpec spec, NicSpec nic, int index) {
        String netdev = nic.id() + "-net";
        switch (nic.mode()) {
            case USER -> a.addAll(List.of("-netdev", "user,id=" + netdev));
            case TAP -> a.addAll(List.of("-netdev", "tap,id=" + netdev + ",ifname=" + nic.ifname() + ",script=no,downscript=no"));
            // The node agent's network service turns NETWORK nics into TAP ones before QEMU starts.
            case NETWORK -> throw new NodeException(io.atoll.node.api.NodeErrorCode.INVALID_SPEC, "vm " + spec.uuid(),
                    "nic " + nic.id() + " is on network " + nic.network() + ", but this VM runtime has no network service to plug it");
        }
        String mac = nic.mac() != null ? nic.mac() : derivedMac(spec, index);
        a.addAll(List.of("-device", nic.model() + ",id=" + nic.id() + ",netdev=" + netdev + ",mac=" + mac));
    }

    /** A stable locally-administered MAC (QEMU's 52:54:00 prefix) derived from the VM's uuid and the NIC's position. */
    public static String derivedMac(VmSpec spec, int index) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((spec.uuid() + "/" + index).getBytes(StandardCharsets.UTF_8));
            return String.format("52:54:00:%02x:%02x:%02x", h[0] & 0xff, h[1] & 0xff, h[2] & 0xff);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** QEMU option values double a comma to keep it literal. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }

    private static String json(Map<String, Object> value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode block options " + value, e);
        }
    }
}
