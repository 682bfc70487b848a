package io.atoll.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * MAC anti-spoofing and the guest-to-host rate limit of VIFs, in one nftables table of the bridge
 * family ({@code bridge atoll}): a frame entering a bridge from a guarded tap must carry that tap's
 * MAC as its source, else it is dropped before the bridge learns or forwards it. The rate limit is a
 * {@code limit rate over} rule per tap (commented with the tap's name, removed by handle). Traffic
 * towards the guest is shaped by {@code tc tbf} on the tap instead (see {@link HostNetworks}).
 *
 * <p>The same chain keeps DHCP local: a broadcast to a DHCP server (DISCOVER, or a REQUEST without
 * a server) arriving through a VXLAN tunnel is dropped, so each host's dnsmasq answers its own
 * guests only and the agent that runs a guest knows its address. Unicast renewals still cross the
 * tunnel: a migrated guest renews its lease with the host that gave it.
 */
final class VifFilter {
    private static final Logger LOG = Logger.getLogger(VifFilter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TABLE = """
            table bridge atoll {
              set guarded { type ifname; }
              set allowed { type ifname . ether_addr; }
              chain vif { type filter hook prerouting priority -200; policy accept;
                iifname @guarded iifname . ether saddr != @allowed drop
                iifname "vx*" ether daddr ff:ff:ff:ff:ff:ff udp dport 67 drop
              }
            }
            """;

    private final HostCommands cmd;
    private volatile Boolean available;

    VifFilter(HostCommands cmd) {
        this.cmd = cmd;
    }

    /** Whether this host can filter (nft present, bridge family in the kernel); checked once. */
    boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (this) {
                if (available == null) {
                    HostCommands.Result r = cmd.tryRun("nft", "list", "table", "bridge", "atoll");
                    if (!r.ok()) {
                        r = cmd.run(List.of("nft", "-f", "-"), TABLE);
                    }
                    available = r.ok();
                    if (!r.ok()) {
                        LOG.warnf("VIF MAC anti-spoofing and guest-side rate limits are unavailable on this host (nft: %s)",
                                r.err().strip());
                    }
                }
                a = available;
            }
        }
        return a;
    }

    void guard(String tap, String mac, Integer rateKbit) {
        if (!available()) {
            return;
        }
        String object = "vif " + tap;
        cmd.check(object, "nft", "add", "element", "bridge", "atoll", "guarded", "{ \"" + tap + "\" }");
        cmd.check(object, "nft", "add", "element", "bridge", "atoll", "allowed", "{ \"" + tap + "\" . " + mac + " }");
        removeLimits(tap);
        if (rateKbit != null) {
            cmd.check(object, "nft", "add", "rule", "bridge", "atoll", "vif", "iifname", tap, "limit", "rate", "over",
                    Math.max(1, rateKbit / 8) + "", "kbytes/second", "burst", Math.max(16, rateKbit / 80) + "", "kbytes",
                    "drop", "comment", "\"" + tap + "\"");
        }
    }

    void unguard(String tap) {
        if (!available()) {
            return;
        }
        cmd.tryRun("nft", "delete", "element", "bridge", "atoll", "guarded", "{ \"" + tap + "\" }");
        JsonNode set = list("set", "allowed");
        for (JsonNode item : set.path("nftables")) {
            for (JsonNode element : item.path("set").path("elem")) {
                JsonNode concat = element.path("concat");
                if (concat.size() == 2 && tap.equals(concat.get(0).asText())) {
                    cmd.tryRun("nft", "delete", "element", "bridge", "atoll", "allowed",
                            "{ \"" + tap + "\" . " + concat.get(1).asText() + " }");
                }
            }
        }
        removeLimits(tap);
    }

    private void removeLimits(String tap) {
        for (JsonNode item : list("chain", "vif").path("nftables")) {
            JsonNode rule = item.path("rule");
            if (tap.equals(rule.path("comment").asText(null))) {
                cmd.tryRun("nft", "delete", "rule", "bridge", "atoll", "vif", "handle", rule.path("handle").asText());
            }
        }
    }

    private JsonNode list(String kind, String name) {
        HostCommands.Result r = cmd.tryRun("nft", "-j", "-a", "list", kind, "bridge", "atoll", name);
        try {
            return r.ok() ? JSON.readTree(r.out()) : JSON.createObjectNode();
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }
}
