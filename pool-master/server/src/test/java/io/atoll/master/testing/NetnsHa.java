package io.atoll.master.testing;

import io.atoll.storage.nfs.GaneshaServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * For HA tests: three hosts in network namespaces ({@link NetnsHosts}) and nfs-ganesha on the
 * management bridge's address in the root namespace (the shared repository, and the statefile,
 * reached over each host's management link: a cut link cuts both heartbeats). The master's
 * cluster member listens on that bridge address too, with T = 4 s. Made before the master starts
 * (its configuration needs the address) and removed after it stopped.
 */
public final class NetnsHa implements QuarkusTestResourceLifecycleManager {
    public static final int T_SECONDS = 4;
    private static NetnsHosts net;
    private static GaneshaServer nfs;

    public static NetnsHosts net() {
        return net;
    }

    public static GaneshaServer nfs() {
        return nfs;
    }

    @Override
    public Map<String, String> start() {
        try {
            net = NetnsHosts.create(3);
            nfs = GaneshaServer.launch(net.managementGateway());
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("HA test hosts could not be set up: " + e.getMessage(), e);
        }
        return Map.of("atoll.master.ha.bind-address", net.managementGateway(), "atoll.master.ha.port", Integer.toString(Commands.freePort()),
                "atoll.master.ha.timeout", T_SECONDS + "s", "atoll.master.ha.host-port", "7800");
    }

    @Override
    public void stop() {
        try {
            if (nfs != null) {
                nfs.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            nfs = null;
            if (net != null) {
                net.close();
                net = null;
            }
        }
    }
}
