package io.atoll.storage.lvm;

import java.util.Map;

/**
 * The path without device-mapper: QEMU opens the physical volume through a raw node restricted
 * to the volume's extents ({@code offset}/{@code size}). Nothing to activate, nothing to undo;
 * what keeps it correct is that volumes are contiguous and keep their extents while in use.
 */
final class ExtentWindows implements VolumeAccess {
    private final String reason;

    ExtentWindows(String reason) {
        this.reason = reason;
    }

    @Override
    public String describe() {
        return "extent windows on the physical volume (no device-mapper: " + reason + ")";
    }

    @Override
    public boolean metadataOnly() {
        return true;
    }

    @Override
    public Map<String, Object> open(Lvm lvm, String vg, Volume volume, Window window) {
        return window.rawNode();
    }

    @Override
    public void close(Lvm lvm, String vg, Volume volume) {
        // Nothing was set up.
    }
}
