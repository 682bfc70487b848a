package io.atoll.storage.iscsi;

import java.util.HashMap;
import java.util.Map;

/**
 * The TCK again with CHAP on every repository: the VM runtime, not only qemu-io, opens the LUNs
 * with the password handed over as a secret object.
 */
class IscsiAdapterChapTckIT extends IscsiAdapterTckIT {
    @Override
    protected Map<String, String> newLocation(String srUuid) {
        Map<String, String> dc = new HashMap<>(super.newLocation(srUuid));
        dc.put(IscsiConfig.CHAP_USER, "tck-" + srUuid.substring(0, 8));
        dc.put(IscsiConfig.CHAP_PASSWORD, "tck-secret-" + srUuid.substring(9, 13) + "-pw");
        return dc;
    }
}
