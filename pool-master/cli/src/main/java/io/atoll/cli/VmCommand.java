package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code atoll vm …}: VMs by name or uuid. Operations are tasks, followed to their end unless {@code --async}. */
@Command(name = "vm", description = "List, create, start, stop and destroy VMs (by name or uuid).")
public final class VmCommand {
    @ParentCommand
    Atoll atoll;

    @Command(name = "list", description = "The pool's VMs (--templates, --snapshots: those instead).")
    int list(@Option(names = "--templates", description = "List the templates.") boolean templates,
             @Option(names = "--snapshots", description = "List the VM snapshots.") boolean snapshots) {
        MasterClient client = atoll.client();
        String kind = templates ? "template" : snapshots ? "snapshot" : "vm";
        JsonNode vms = client.get("/api/v1/vms?kind=" + kind);
        atoll.print(vms, atoll.json() ? "" : snapshots ? snapshotTable(vms, client) : table(vms, hostNames(client)));
        return 0;
    }

    private static String snapshotTable(JsonNode snapshots, MasterClient client) {
        Map<String, String> names = new HashMap<>();
        for (JsonNode vm : client.get("/api/v1/vms?kind=vm")) {
            names.put(vm.path("uuid").asText(), vm.path("name").asText());
        }
        Table t = new Table("UUID", "NAME", "OF-VM", "TAKEN");
        for (JsonNode s : snapshots) {
            String of = Output.text(s.path("snapshotOf"));
            t.row(s.path("uuid").asText(), s.path("name").asText(), names.getOrDefault(of, of), Output.time(s.path("snapshotAt")));
        }
        return t.render();
    }

    /** Columns of {@code vm list}; {@code hosts} turns resident-on uuids into host names. */
    static String table(JsonNode vms, Map<String, String> hosts) {
        Table t = new Table("UUID", "NAME", "POWER-STATE", "VCPUS", "MEMORY", "HOST", "OPERATION", "ADDRESSES");
        for (JsonNode vm : vms) {
            String host = Output.text(vm.path("residentOn"));
            JsonNode op = vm.path("currentOperation");
            t.row(vm.path("uuid").asText(), vm.path("name").asText(), vm.path("powerState").asText(), vm.path("vcpus").asText(),
                    Output.bytes(vm.path("memoryMiB").asLong() * 1024 * 1024), hosts.getOrDefault(host, host),
                    op.isObject() ? op.path("operation").asText().toLowerCase(Locale.ROOT) : null, addresses(vm));
        }
        return t.render();
    }

    /** The guest's addresses, comma-separated ({@code null} when none is known). */
    static String addresses(JsonNode vm) {
        List<String> ips = new java.util.ArrayList<>();
        vm.path("addresses").forEach(a -> ips.add(a.path("ip").asText()));
        return ips.isEmpty() ? null : String.join(",", ips);
    }

    private static Map<String, String> hostNames(MasterClient client) {
        Map<String, String> names = new HashMap<>();
        for (JsonNode h : client.get("/api/v1/hosts")) {
            if (h.hasNonNull("name")) {
                names.put(h.path("uuid").asText(), h.path("name").asText());
            }
        }
        return names;
    }

    @Command(name = "show", description = "One VM, every field.")
    int show(@Parameters(paramLabel = "VM", description = "Name or uuid.") String vm) {
        JsonNode found = resolve(atoll.client(), vm);
        atoll.print(found, Output.keyValues(found));
        return 0;
    }

    @Command(name = "create", description = {"Create a halted VM in the pool database (or from a template); prints its uuid.",
            "Disks: --disk sr=SR,size=SIZE (a new disk) | vdi=UUID | PATH[,format=raw|qcow2], then [,boot=N][,ro][,bus=virtio|ide];",
            "NICs: --nic network=NETWORK[,rate=KBIT] | user | tap=IFNAME, then [,mac=M][,model=M][,id=ID]."})
    int create(@Parameters(paramLabel = "NAME", arity = "0..1", description = "Unique in the pool.") String name,
               @Option(names = "--template", paramLabel = "TEMPLATE", description = "Clone this template (name or uuid) into the new VM.") String template,
               @Option(names = "--memory", paramLabel = "SIZE", description = "Guest memory: MiB, or with a unit (512M, 2G).") String memory,
               @Option(names = "--vcpus", paramLabel = "N", description = "Virtual CPUs (default 1).") Integer vcpus,
               @Option(names = "--disk", paramLabel = "PATH[,OPT…]", description = "An image file on the hosts (repeatable).") List<String> disks,
               @Option(names = "--nic", paramLabel = "MODE[,OPT…]", description = "A network interface (repeatable).") List<String> nics,
               @Option(names = "--kernel", paramLabel = "PATH", description = "Direct kernel boot: the kernel on the hosts.") String kernel,
               @Option(names = "--initrd", paramLabel = "PATH", description = "Direct kernel boot: the initrd.") String initrd,
               @Option(names = "--cmdline", paramLabel = "ARGS", description = "Direct kernel boot: the kernel command line.") String cmdline,
               @Option(names = "--accelerator", paramLabel = "auto|kvm|tcg", description = "How guest code runs (default auto).") String accelerator,
               @Option(names = "--machine", paramLabel = "TYPE", description = "QEMU machine type (default pc).") String machine,
               @Option(names = "--spec", paramLabel = "FILE", description = "The whole request as JSON (- for stdin); NAME and options override its fields.") String spec) {
        MasterClient client = atoll.client();
        if (template != null) {
            if (name == null || memory != null || vcpus != null || disks != null || nics != null || kernel != null || initrd != null
                    || cmdline != null || accelerator != null || machine != null || spec != null) {
                throw new CliException("INVALID_ARGUMENT", "with --template give only the new VM's name: atoll vm create NAME --template "
                        + template, null, Atoll.USAGE);
            }
            return cloneInto(client, resolve(client, template), name, false);
        }
        ObjectNode body = createRequest(readSpec(spec), name, memory, vcpus, disks, nics, kernel, initrd, cmdline, accelerator, machine);
        for (JsonNode disk : body.path("disks")) {
            if (disk.hasNonNull("sr") && !isUuid(disk.path("sr").asText())) {
                ((ObjectNode) disk).put("sr", SrCommand.resolve(client, disk.path("sr").asText()).path("uuid").asText());
            }
        }
        JsonNode vm = client.post("/api/v1/vms", body);
        atoll.print(vm, vm.path("uuid").asText() + "\n");
        return 0;
    }

    /** Clones {@code source} into a new VM, follows the task and prints the new VM's uuid. */
    private int cloneInto(MasterClient client, JsonNode source, String name, boolean full) {
        ObjectNode body = MasterClient.JSON.createObjectNode().put("name", name).put("full", full);
        JsonNode accepted = client.post("/api/v1/vms/" + source.path("uuid").asText() + "/clone", body);
        JsonNode done = new TaskFollower(client, atoll.context()).follow(accepted);
        int outcome = TaskFollower.outcome(done);
        if (outcome == 0) {
            atoll.print(done.path("result"), done.path("result").path("uuid").asText() + "\n");
        } else if (atoll.json()) {
            atoll.print(done, "");
        }
        return outcome;
    }

    @Command(name = "clone", description = "Clone a halted VM, a template or a snapshot into a new halted VM; prints its uuid.")
    int clone(@Parameters(index = "0", paramLabel = "VM") String vm,
              @Parameters(index = "1", paramLabel = "NEW-NAME") String name,
              @Option(names = "--full", description = "Full copies of the disks instead of linked clones.") boolean full) {
        MasterClient client = atoll.client();
        return cloneInto(client, resolve(client, vm), name, full);
    }

    @Command(name = "snapshot", description = "Snapshot a VM's disks (live when it runs) into a named snapshot.")
    int snapshot(@Parameters(index = "0", paramLabel = "VM") String vm,
                 @Parameters(index = "1", paramLabel = "SNAPSHOT-NAME") String name,
                 @Option(names = "--async") boolean async) {
        return operation(vm, "snapshot", MasterClient.JSON.createObjectNode().put("name", name), async);
    }

    @Command(name = "revert", description = "Bring a halted VM back to one of its snapshots (what was written since is lost).")
    int revert(@Parameters(index = "0", paramLabel = "VM") String vm,
               @Parameters(index = "1", paramLabel = "SNAPSHOT", description = "The snapshot's name or uuid.") String snapshot,
               @Option(names = "--async") boolean async) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, vm).path("uuid").asText();
        String snap = null;
        for (JsonNode s : client.get("/api/v1/vms?kind=snapshot")) {
            if (uuid.equals(s.path("snapshotOf").asText()) && (snapshot.equals(s.path("name").asText()) || snapshot.equals(s.path("uuid").asText()))) {
                snap = s.path("uuid").asText();
            }
        }
        if (snap == null) {
            throw CliException.refused("VM_NOT_FOUND", "vm " + vm + " has no snapshot '" + snapshot + "' (atoll vm list --snapshots shows them)",
                    "vm " + vm);
        }
        return atoll.task(client.post("/api/v1/vms/" + uuid + "/revert", MasterClient.JSON.createObjectNode().put("snapshot", snap)),
                async, client);
    }

    @Command(name = "template", description = "Make a halted VM a template (from then on only cloned).")
    int template(@Parameters(paramLabel = "VM") String vm) {
        MasterClient client = atoll.client();
        JsonNode t = client.post("/api/v1/vms/" + resolve(client, vm).path("uuid").asText() + "/template", null);
        atoll.print(t, t.path("uuid").asText() + "\n");
        return 0;
    }

    /** The body of {@code POST /api/v1/vms}; the server checks the values (and answers INVALID_SPEC). */
    static ObjectNode createRequest(ObjectNode spec, String name, String memory, Integer vcpus, List<String> disks, List<String> nics,
                                    String kernel, String initrd, String cmdline, String accelerator, String machine) {
        ObjectNode body = spec == null ? MasterClient.JSON.createObjectNode() : spec;
        if (name != null) {
            body.put("name", name);
        }
        if (!body.hasNonNull("name")) {
            throw new CliException("INVALID_ARGUMENT", "give the VM's name: atoll vm create NAME --memory 512M …", null, Atoll.USAGE);
        }
        if (memory != null) {
            body.put("memoryMiB", mebibytes(memory));
        }
        if (vcpus != null) {
            body.put("vcpus", vcpus);
        }
        if (disks != null && !disks.isEmpty()) {
            ArrayNode list = body.putArray("disks");
            disks.forEach(d -> list.add(disk(d)));
        }
        if (nics != null && !nics.isEmpty()) {
            ArrayNode list = body.putArray("nics");
            nics.forEach(n -> list.add(nic(n)));
        }
        if (kernel != null || initrd != null || cmdline != null) {
            ObjectNode boot = body.putObject("boot");
            boot.put("kernel", kernel);
            if (initrd != null) {
                boot.put("initrd", initrd);
            }
            if (cmdline != null) {
                boot.put("cmdline", cmdline);
            }
        }
        if (accelerator != null) {
            body.put("accelerator", accelerator.toUpperCase(Locale.ROOT));
        }
        if (machine != null) {
            body.put("machine", machine);
        }
        return body;
    }

    /** {@code 512}, {@code 512M}, {@code 512MiB}, {@code 2G}, {@code 2GiB} → MiB. */
    static long mebibytes(String size) {
        String s = size.strip().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long factor = 1;
        if (s.endsWith("G")) {
            factor = 1024;
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("T")) {
            factor = 1024 * 1024;
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("M")) {
            s = s.substring(0, s.length() - 1);
        }
        try {
            long value = Long.parseLong(s.strip());
            if (value <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, factor);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CliException("INVALID_ARGUMENT", "memory '" + size + "' is not a size like 512, 512M or 2G", null, Atoll.USAGE);
        }
    }

    /** {@code sr=SR,size=SIZE} | {@code vdi=UUID} | {@code PATH[,format=F]}, then {@code [,boot=N][,ro][,bus=B][,id=ID]}. */
    static ObjectNode disk(String value) {
        String[] parts = value.split(",");
        ObjectNode disk = MasterClient.JSON.createObjectNode();
        String[] first = parts[0].split("=", 2);
        switch (first[0]) {
            case "sr" -> disk.put("sr", requireValue(first, value));
            case "vdi" -> disk.put("vdi", requireValue(first, value));
            default -> disk.put("path", parts[0]);
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            switch (kv[0]) {
                case "size" -> disk.put("sizeBytes", mebibytes(requireValue(kv, value)) * 1024 * 1024);
                case "format" -> disk.put("format", requireValue(kv, value));
                case "boot" -> disk.put("bootIndex", integer(requireValue(kv, value), value));
                case "ro", "readonly" -> disk.put("readOnly", true);
                case "bus" -> disk.put("bus", requireValue(kv, value).toUpperCase(Locale.ROOT));
                case "id" -> disk.put("id", requireValue(kv, value));
                default -> throw new CliException("INVALID_ARGUMENT", "--disk " + value + ": '" + kv[0]
                        + "' is not one of size=, format=, boot=, ro, bus=, id=", null, Atoll.USAGE);
            }
        }
        return disk;
    }

    /** {@code network=NET}, {@code user} or {@code tap=IFNAME}, then {@code ,mac=M}, {@code ,model=M}, {@code ,id=ID}, {@code ,rate=KBIT}. */
    static ObjectNode nic(String value) {
        String[] parts = value.split(",");
        ObjectNode nic = MasterClient.JSON.createObjectNode();
        String[] mode = parts[0].split("=", 2);
        switch (mode[0].toLowerCase(Locale.ROOT)) {
            case "user" -> nic.put("mode", "USER");
            case "tap" -> nic.put("mode", "TAP").put("ifname", requireValue(mode, value));
            case "network", "net" -> nic.put("mode", "NETWORK").put("network", requireValue(mode, value));
            default -> throw new CliException("INVALID_ARGUMENT", "--nic " + value + ": begin with network=NETWORK, user or tap=IFNAME", null,
                    Atoll.USAGE);
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            switch (kv[0]) {
                case "mac", "model", "id" -> nic.put(kv[0], requireValue(kv, value));
                case "rate" -> nic.put("rateKbit", integer(requireValue(kv, value), value));
                default -> throw new CliException("INVALID_ARGUMENT", "--nic " + value + ": '" + kv[0]
                        + "' is not one of mac=, model=, id=, rate=", null, Atoll.USAGE);
            }
        }
        return nic;
    }

    private static String requireValue(String[] kv, String whole) {
        if (kv.length < 2 || kv[1].isEmpty()) {
            throw new CliException("INVALID_ARGUMENT", "'" + whole + "': " + kv[0] + "= needs a value", null, Atoll.USAGE);
        }
        return kv[1];
    }

    private static int integer(String s, String whole) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new CliException("INVALID_ARGUMENT", "'" + whole + "': '" + s + "' is not a number", null, Atoll.USAGE);
        }
    }

    private ObjectNode readSpec(String spec) {
        if (spec == null) {
            return null;
        }
        try {
            String text = "-".equals(spec) ? new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8) : Files.readString(Path.of(spec));
            JsonNode node = MasterClient.JSON.readTree(text);
            if (!node.isObject()) {
                throw CliException.local("INVALID_SPEC_FILE", spec + " holds no JSON object");
            }
            return (ObjectNode) node;
        } catch (IOException e) {
            throw CliException.local("INVALID_SPEC_FILE", "cannot read the spec " + spec + ": " + e.getMessage());
        }
    }

    @Command(name = "vif-plug", description = {"Plug a VIF on a network into a VM (hot when it runs); the task's VM shows its NICs.",
            "The MAC is chosen once and kept unless --mac."})
    int vifPlug(@Parameters(index = "0", paramLabel = "VM") String vm,
                @Parameters(index = "1", paramLabel = "NETWORK", description = "Name or uuid.") String network,
                @Option(names = "--mac", paramLabel = "MAC") String mac,
                @Option(names = "--rate", paramLabel = "KBIT", description = "Rate limit in kbit/s, each way.") Integer rate,
                @Option(names = "--id", paramLabel = "ID", description = "Device id (the first free nicN by default).") String id,
                @Option(names = "--async", description = "Print the task's uuid and return.") boolean async) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, vm).path("uuid").asText();
        ObjectNode body = vifRequest(NetworkCommand.resolve(client, network).path("uuid").asText(), mac, rate, id);
        return atoll.task(client.post("/api/v1/vms/" + uuid + "/vifs", body), async, client);
    }

    static ObjectNode vifRequest(String network, String mac, Integer rate, String id) {
        ObjectNode body = MasterClient.JSON.createObjectNode().put("network", network);
        if (mac != null) {
            body.put("mac", mac);
        }
        if (rate != null) {
            body.put("rateKbit", rate);
        }
        if (id != null) {
            body.put("id", id);
        }
        return body;
    }

    @Command(name = "vif-unplug", description = "Unplug a VIF from a VM (hot when it runs) by its device id (nic0 …).")
    int vifUnplug(@Parameters(index = "0", paramLabel = "VM") String vm,
                  @Parameters(index = "1", paramLabel = "ID", description = "The NIC's device id (atoll vm show lists nics).") String id,
                  @Option(names = "--async", description = "Print the task's uuid and return.") boolean async) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, vm).path("uuid").asText();
        return atoll.task(client.delete("/api/v1/vms/" + uuid + "/vifs/" + id), async, client);
    }

    @Command(name = "start", description = "Start a halted VM; placement picks a host unless --on.")
    int start(@Parameters(paramLabel = "VM") String vm,
              @Option(names = "--on", paramLabel = "HOST", description = "The host to start on (name or uuid).") String host,
              @Option(names = "--async", description = "Print the task's uuid and return.") boolean async) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, vm).path("uuid").asText();
        ObjectNode body = MasterClient.JSON.createObjectNode();
        if (host != null) {
            body.put("host", HostCommand.resolve(client, host).path("uuid").asText());
        }
        return atoll.task(client.post("/api/v1/vms/" + uuid + "/start", body), async, client);
    }

    @Command(name = "migrate", description = "Move a running VM to another host without stopping it (placement picks one unless --on).")
    int migrate(@Parameters(paramLabel = "VM") String vm,
                @Option(names = "--on", paramLabel = "HOST", description = "The host to move to (name or uuid).") String host,
                @Option(names = "--bandwidth", paramLabel = "MIB/S", description = "Cap the transfer (MiB per second).") Long bandwidth,
                @Option(names = "--sr", paramLabel = "SR", description = "Storage migration: move every disk into this repository (name or uuid).") String sr,
                @Option(names = "--async", description = "Print the task's uuid and return.") boolean async) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, vm).path("uuid").asText();
        ObjectNode body = MasterClient.JSON.createObjectNode();
        if (host != null) {
            body.put("host", HostCommand.resolve(client, host).path("uuid").asText());
        }
        if (bandwidth != null) {
            body.put("bandwidthMiBps", bandwidth);
        }
        if (sr != null) {
            body.put("sr", SrCommand.resolve(client, sr).path("uuid").asText());
        }
        return atoll.task(client.post("/api/v1/vms/" + uuid + "/migrate", body), async, client);
    }

    @Command(name = "shutdown", description = "Shut a VM down: the ACPI power button, hard after --timeout; --force at once.")
    int shutdown(@Parameters(paramLabel = "VM") String vm,
                 @Option(names = "--force", description = "Stop QEMU at once (also for paused, suspended and crashed VMs).") boolean force,
                 @Option(names = "--timeout", paramLabel = "S", description = "Seconds the guest gets before a hard stop.") Integer timeout,
                 @Option(names = "--async", description = "Print the task's uuid and return.") boolean async) {
        return operation(vm, "shutdown", shutdownBody(force, timeout), async);
    }

    @Command(name = "reboot", description = "Reboot a VM: a clean shutdown and start; --force: a reset.")
    int reboot(@Parameters(paramLabel = "VM") String vm,
               @Option(names = "--force", description = "A hard reset.") boolean force,
               @Option(names = "--timeout", paramLabel = "S", description = "Seconds the guest gets to power off.") Integer timeout,
               @Option(names = "--async", description = "Print the task's uuid and return.") boolean async) {
        return operation(vm, "reboot", shutdownBody(force, timeout), async);
    }

    static ObjectNode shutdownBody(boolean force, Integer timeout) {
        ObjectNode body = MasterClient.JSON.createObjectNode().put("force", force);
        if (timeout != null) {
            body.put("timeoutSeconds", timeout);
        }
        return body;
    }

    @Command(name = "pause", description = "Stop a running VM's vCPUs (its memory stays).")
    int pause(@Parameters(paramLabel = "VM") String vm, @Option(names = "--async") boolean async) {
        return operation(vm, "pause", null, async);
    }

    @Command(name = "unpause", description = "Let a paused VM run again.")
    int unpause(@Parameters(paramLabel = "VM") String vm, @Option(names = "--async") boolean async) {
        return operation(vm, "unpause", null, async);
    }

    @Command(name = "suspend", description = "Save a VM's memory on its host and stop it.")
    int suspend(@Parameters(paramLabel = "VM") String vm, @Option(names = "--async") boolean async) {
        return operation(vm, "suspend", null, async);
    }

    @Command(name = "resume", description = "Continue a suspended VM on its host.")
    int resume(@Parameters(paramLabel = "VM") String vm, @Option(names = "--async") boolean async) {
        return operation(vm, "resume", null, async);
    }

    @Command(name = "destroy", description = "Remove a halted VM, a template or a snapshot from the pool (its disks stay unless --delete-disks).")
    int destroy(@Parameters(paramLabel = "VM") String vm,
                @Option(names = "--delete-disks", description = "Also destroy its virtual disks that nothing else uses.") boolean deleteDisks,
                @Option(names = "--async") boolean async) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, vm).path("uuid").asText();
        return atoll.task(client.delete("/api/v1/vms/" + uuid + (deleteDisks ? "?deleteDisks=true" : "")), async, client);
    }

    private int operation(String vm, String action, ObjectNode body, boolean async) {
        MasterClient client = atoll.client();
        String uuid = resolve(client, vm).path("uuid").asText();
        return atoll.task(client.post("/api/v1/vms/" + uuid + "/" + action, body), async, client);
    }

    /** A VM or template by uuid, else by its name (unique among them; snapshots go by uuid). */
    static JsonNode resolve(MasterClient client, String ref) {
        if (isUuid(ref)) {
            return client.get("/api/v1/vms/" + ref);
        }
        for (JsonNode vm : client.get("/api/v1/vms")) {
            if (ref.equals(vm.path("name").asText(null)) && !"snapshot".equals(vm.path("kind").asText())) {
                return vm;
            }
        }
        throw CliException.refused("VM_NOT_FOUND", "no VM is named '" + ref + "' (atoll vm list shows them)", "vm " + ref);
    }

    static boolean isUuid(String s) {
        if (s.length() != 36) {
            return false;
        }
        try {
            UUID.fromString(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
