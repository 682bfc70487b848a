package io.atoll.ha;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * The hardware (or softdog) watchdog, {@code /dev/watchdog}: once opened, the host resets unless it is
 * written to within the driver's timeout. {@link SelfFence} pets it while this host is not fenced, so a
 * hung agent — which can fence nothing — is reset all the same. Where the device is absent (as on these
 * test machines) that protection is missing, and this says so loudly once.
 *
 * <p>Setting the driver's timeout (ioctl WDIOC_SETTIMEOUT to {@link HaTimings#watchdogTimeoutSeconds()})
 * needs JNA and is left to the agent's wiring; closing writes the magic 'V' so a clean stop does not reset.
 */
public final class Watchdog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Watchdog.class);

    private final Path device;
    private FileOutputStream out;

    private Watchdog(Path device, FileOutputStream out) {
        this.device = device;
        this.out = out;
    }

    /** Opens {@code device} if present; otherwise a watchdog that does nothing, after a clear warning. */
    public static Watchdog open(Path device) {
        if (!Files.exists(device)) {
            LOG.warnf("self-fencing: no watchdog device %s on this host: a hung node agent cannot be reset, so VMs it "
                    + "cannot kill could run on after T; HA restarts rely on the agent alone here", device);
            return new Watchdog(device, null);
        }
        try {
            return new Watchdog(device, new FileOutputStream(device.toFile()));
        } catch (IOException e) {
            LOG.warnf("self-fencing: watchdog %s cannot be opened (%s): a hung node agent cannot be reset", device, e.getMessage());
            return new Watchdog(device, null);
        }
    }

    public boolean present() {
        return out != null;
    }

    public Path device() {
        return device;
    }

    /** Keeps the host alive for another watchdog timeout. */
    public synchronized void pet() {
        if (out == null) {
            return;
        }
        try {
            out.write(0);
            out.flush();
        } catch (IOException e) {
            LOG.warnf("self-fencing: writing to watchdog %s failed: %s", device, e.getMessage());
        }
    }

    /** Disarms (magic close) and closes. Never called on a fenced host: there the reset must happen. */
    @Override
    public synchronized void close() {
        if (out == null) {
            return;
        }
        try {
            out.write('V');
            out.close();
        } catch (IOException e) {
            LOG.warnf("self-fencing: closing watchdog %s failed: %s", device, e.getMessage());
        }
        out = null;
    }
}
