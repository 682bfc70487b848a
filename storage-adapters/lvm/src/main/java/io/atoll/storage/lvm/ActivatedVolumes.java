package io.atoll.storage.lvm;

import java.util.Map;

/**
 * The path with device-mapper: the volume is activated on this host ({@code lvchange -ay}) and
 * QEMU opens {@code /dev/VG/LV}; detaching deactivates it. Only the disk's own volume is
 * activated: its backing images are named by extent windows in the image headers.
 *
 * <p>This path cannot run on the machines the tests run on (no device-mapper there); it is kept
 * to these few obvious lines on purpose.
 */
final class ActivatedVolumes implements VolumeAccess {
    private final String driver;

    ActivatedVolumes(String driver) {
        this.driver = driver;
    }

    @Override
    public String describe() {
        return "activated logical volumes /dev/VG/LV (device-mapper: " + driver + ")";
    }

    @Override
    public boolean metadataOnly() {
        return false;
    }

    @Override
    public Map<String, Object> open(Lvm lvm, String vg, Volume volume, Window window) {
        lvm.activate(vg, volume.lvName(), true);
        return Window.deviceNode(path(vg, volume));
    }

    @Override
    public void close(Lvm lvm, String vg, Volume volume) {
        lvm.activate(vg, volume.lvName(), false);
    }

    @Override
    public boolean matches(Map<?, ?> options, String vg, Volume volume, Window window) {
        return window.matches(options) || path(vg, volume).equals(options.get("filename"));
    }

    private static String path(String vg, Volume volume) {
        return "/dev/" + vg + "/" + volume.lvName();
    }
}
