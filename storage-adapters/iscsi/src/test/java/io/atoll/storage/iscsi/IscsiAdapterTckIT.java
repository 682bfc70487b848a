package io.atoll.storage.iscsi;

import io.atoll.storage.spi.StorageAdapterFactory;
import io.atoll.storage.spi.StorageBehavior;
import io.atoll.storage.tck.StorageAdapterTck;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The iSCSI adapter against the storage TCK: each repository gets its own target on one private
 * tgtd; the "server goes away" check stops tgtd and starts it again, empty, on the same ports.
 */
class IscsiAdapterTckIT extends StorageAdapterTck {
    @RegisterExtension
    static final TgtServer TGT = new TgtServer();

    @Override
    protected StorageAdapterFactory factory() {
        return new IscsiAdapterFactory();
    }

    @Override
    protected Map<String, String> newLocation(String srUuid) {
        // 4 TiB: room for the TCK's 3 TiB disk; every disk counts at its full size here.
        return TGT.deviceConfig("iqn.2024-01.io.atoll:tck-" + srUuid.substring(0, 8), 4 * TiB);
    }

    @Override
    protected Set<StorageBehavior> expectedBehaviors() {
        return IscsiAdapter.BEHAVIORS;
    }

    @Override
    protected Optional<ServerControl> serverControl() {
        return Optional.of(new ServerControl() {
            @Override
            public void stop() throws Exception {
                TGT.stop();
            }

            @Override
            public void start() throws Exception {
                TGT.start();
            }
        });
    }
}
