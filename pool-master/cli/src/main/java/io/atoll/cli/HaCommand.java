package io.atoll.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code atoll ha …}: high availability — status, enable/disable, VM restart policies, alerts, master instances. */
@Command(name = "ha", description = "High availability: status, enable, disable, a VM's restart policy, alerts, master instances.")
public final class HaCommand {
    static final String PATH = "/api/v1/pool/ha";

    @ParentCommand
    Atoll atoll;

    @Command(name = "status", description = "HA settings, the failures-to-tolerate plan, each host's liveness, the protected VMs, recent alerts.")
    int status() {
        JsonNode st = atoll.client().get(PATH);
        atoll.print(st, render(st));
        return 0;
    }

    static String render(JsonNode st) {
        StringBuilder b = new StringBuilder();
        JsonNode m = st.path("master");
        b.append("HA: ").append(st.path("enabled").asBoolean() ? "enabled" : "disabled").append(", T = ").append(st.path("timeoutSeconds").asLong())
                .append(" s").append(st.path("statefileSr").isNull() ? "" : ", statefile on sr " + st.path("statefileSr").asText()).append('\n');
        b.append("plan: tolerates ").append(st.path("maxTolerable").asInt()).append(" host failure(s); configured ")
                .append(st.path("hostFailuresToTolerate").asInt()).append(st.path("overcommitted").asBoolean() ? " — OVERCOMMITTED" : "").append('\n');
        b.append("master: ").append(m.path("instance").asText()).append(m.path("active").asBoolean() ? " (active" : " (standby")
                .append(m.path("clustered").asBoolean() ? ", epoch " + m.path("epoch").asLong() : "").append(")")
                .append(!m.path("active").asBoolean() && m.hasNonNull("activeUrl") ? ", active at " + m.path("activeUrl").asText() : "").append("\n\n");
        Table hosts = new Table("HOST", "STATE", "IN VIEW", "OUT OF VIEW", "STATEFILE STALE", "FENCED", "DECLARED DEAD");
        for (JsonNode h : st.path("hosts")) {
            hosts.row(Output.text(h.path("name")), Output.text(h.path("state")), Output.text(h.path("inView")), ms(h.path("absentFromViewMs")),
                    ms(h.path("statefileStaleMs")), Output.text(h.path("fenced")), Output.text(h.path("declaredDead")));
        }
        b.append(hosts.render()).append('\n');
        Table vms = new Table("PROTECTED VM", "PRIORITY", "ORDER", "DELAY", "POWER", "PENDING RESTART");
        for (JsonNode v : st.path("protectedVms")) {
            vms.row(Output.text(v.path("name")), Output.text(v.path("restartPriority")), Output.text(v.path("restartOrder")),
                    v.path("startDelaySeconds").asInt() + " s", Output.text(v.path("powerState")), Output.text(v.path("restartPending")));
        }
        b.append(vms.render()).append('\n');
        b.append(alerts(st.path("alerts")));
        return b.toString();
    }

    private static String ms(JsonNode value) {
        return value.isNull() || value.isMissingNode() ? "-" : String.format("%.1f s", value.asLong() / 1000.0);
    }

    static String alerts(JsonNode alerts) {
        Table t = new Table("TIME", "SEVERITY", "CODE", "MESSAGE");
        for (JsonNode a : alerts) {
            t.row(Output.text(a.path("created")), Output.text(a.path("severity")), Output.text(a.path("code")), Output.text(a.path("message")));
        }
        return t.render();
    }

    @Command(name = "enable", description = {"Enable HA (or change its settings) with its statefile on a shared repository.",
            "e.g. atoll ha enable --sr nas --failures 1"})
    int enable(@Option(names = "--sr", paramLabel = "SR", description = "The shared repository (attached on every host) for the statefile.") String sr,
               @Option(names = "--failures", paramLabel = "N", description = "Host failures to tolerate: operations that would break it are refused.") Integer failures) {
        MasterClient client = atoll.client();
        ObjectNode body = MasterClient.JSON.createObjectNode().put("enabled", true);
        if (sr != null) {
            body.put("statefileSr", SrCommand.resolve(client, sr).path("uuid").asText());
        }
        if (failures != null) {
            body.put("hostFailuresToTolerate", failures);
        }
        JsonNode st = client.put(PATH, body);
        atoll.print(st, render(st));
        return 0;
    }

    @Command(name = "disable", description = "Disable HA: hosts leave the cluster and stop their statefile and self-fencing.")
    int disable() {
        JsonNode st = atoll.client().put(PATH, MasterClient.JSON.createObjectNode().put("enabled", false));
        atoll.print(st, render(st));
        return 0;
    }

    @Command(name = "vm", description = {"Set a VM's restart policy.", "e.g. atoll ha vm db1 --priority restart --order 1 --delay 10"})
    int vm(@Parameters(paramLabel = "VM") String vm,
           @Option(names = "--priority", paramLabel = "P", description = "restart, best-effort or none.") String priority,
           @Option(names = "--order", paramLabel = "N", description = "Lower restarts first.") Integer order,
           @Option(names = "--delay", paramLabel = "SECONDS", description = "Wait after its start before the next restart.") Integer delay) {
        MasterClient client = atoll.client();
        String uuid = VmCommand.resolve(client, vm).path("uuid").asText();
        ObjectNode body = MasterClient.JSON.createObjectNode();
        if (priority != null) {
            body.put("restartPriority", priority);
        }
        if (order != null) {
            body.put("restartOrder", order);
        }
        if (delay != null) {
            body.put("startDelaySeconds", delay);
        }
        JsonNode ha = client.put("/api/v1/vms/" + uuid + "/ha", body);
        atoll.print(ha, Output.keyValues(ha));
        return 0;
    }

    @Command(name = "alerts", description = "Alerts, newest first.")
    int alerts(@Option(names = "--limit", paramLabel = "N", defaultValue = "50") int limit) {
        JsonNode list = atoll.client().get("/api/v1/alerts?limit=" + limit);
        atoll.print(list, alerts(list));
        return 0;
    }

    @Command(name = "remove-master", description = "Remove a retired (stopped) master instance from the pool and its quorum.")
    int removeMaster(@Parameters(paramLabel = "INSTANCE") String name) {
        atoll.client().delete("/api/v1/pool/masters/" + name);
        atoll.context().err().println("master instance " + name + " removed");
        return 0;
    }

    @Command(name = "masters", description = "The pool master instances and which one is active.")
    int masters() {
        JsonNode list = atoll.client().get("/api/v1/pool/masters");
        Table t = new Table("INSTANCE", "API", "CLUSTER", "ACTIVE");
        for (JsonNode m : list) {
            t.row(Output.text(m.path("name")), Output.text(m.path("apiUrl")), Output.text(m.path("clusterAddress")), Output.text(m.path("active")));
        }
        atoll.print(list, t.render());
        return 0;
    }
}
