package io.atoll.storage.lvm;

import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The lvm2 tools, confined to one physical volume. Every command gets a {@code --config} whose
 * device filter accepts the repository's device alone, and whose lock, backup and archive
 * directories are under the adapter's work directory, so that the adapter never reads or changes
 * the host's own volume groups. Without device-mapper every command also runs with
 * {@code --driverloaded n}: lvm2 then edits metadata only and never tries to activate.
 */
final class Lvm {
    /** Device paths the filter can hold literally (no quotes, '|' or spaces to escape). */
    private static final Pattern DEVICE = Pattern.compile("/[A-Za-z0-9/_.:+@=-]+");

    /** A physical volume as {@code pvs} reports it. */
    record Pv(String vgName, long peStart) {
    }

    /** A volume group's space and tags. */
    record Vg(String name, long size, long free, long extentSize, List<String> tags) {
        String tag(String key) {
            for (String t : tags) {
                if (t.startsWith(key + ".")) {
                    return Tags.decode(t.substring(key.length() + 1));
                }
            }
            return null;
        }
    }

    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(60);

    private final CommandRunner commands;
    private final String device;
    private final boolean metadataOnly;
    private final String config;

    /**
     * @param device the physical volume
     * @param stateDir a directory of this host for lvm's locks and metadata backups
     * @param metadataOnly no device-mapper here: never activate
     */
    Lvm(CommandRunner commands, String device, Path stateDir, boolean metadataOnly) {
        this.commands = commands;
        this.device = checkDevice(device);
        this.metadataOnly = metadataOnly;
        String accept = "\"a|^" + device.replace(".", "[.]").replace("+", "[+]") + "$|\", \"r|.*|\"";
        String activation = metadataOnly ? " activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }" : "";
        this.config = "devices { filter = [ " + accept + " ] global_filter = [ " + accept + " ]"
                + " obtain_device_list_from_udev = 0 use_devicesfile = 0 hints = \"none\" }"
                + " global { locking_dir = \"" + stateDir.resolve("lock") + "\" use_lvmpolld = 0 event_activation = 0 }"
                + " backup { backup_dir = \"" + stateDir.resolve("backup") + "\" archive_dir = \"" + stateDir.resolve("archive") + "\" }"
                + activation;
    }

    /**
     * Refuses device paths that are not absolute or that the filter could not hold literally.
     *
     * @throws StorageException {@code INVALID_ARGUMENT}
     */
    static String checkDevice(String device) {
        if (device == null || !DEVICE.matcher(device).matches() || device.contains("..")) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "device '" + device
                    + "' is not allowed: give the absolute path of a block device (letters, digits and / _ . : + @ = -)");
        }
        return device;
    }

    String device() {
        return device;
    }

    /** The physical volume, or empty when the device is not one. */
    Optional<Pv> pv() {
        List<String[]> rows = report(List.of("pvs", "-o", "pv_name,vg_name,pe_start"));
        for (String[] r : rows) {
            return Optional.of(new Pv(r[1], Long.parseLong(r[2])));
        }
        return Optional.empty();
    }

    /** The volume group. */
    Vg vg(String vg) {
        List<String[]> rows = report(List.of("vgs", "-o", "vg_name,vg_size,vg_free,vg_extent_size,vg_tags", vg));
        if (rows.isEmpty()) {
            throw new StorageException(StorageErrorCode.NOT_FOUND, "volume group " + vg + " is not on " + device);
        }
        String[] r = rows.get(0);
        return new Vg(r[0], Long.parseLong(r[1]), Long.parseLong(r[2]), Long.parseLong(r[3]), splitTags(r[4]));
    }

    /** Every logical volume of the group. */
    List<Volume> volumes(String vg) {
        List<String[]> rows = report(List.of("lvs", "--segments", "-o", "lv_name,lv_size,seg_pe_ranges,seg_count,lv_tags", vg));
        Map<String, Volume> out = new LinkedHashMap<>();
        for (String[] r : rows) {
            // Segments repeat the volume; the first row names its first extent ("/dev/loop0:25-49").
            // A foreign volume without extents of its own (thin) has none: -1, never used.
            String range = r[2].substring(r[2].lastIndexOf(':') + 1);
            long first = range.matches("[0-9]+-[0-9]+") ? Long.parseLong(range.substring(0, range.indexOf('-'))) : -1;
            out.putIfAbsent(r[0], new Volume(r[0], Long.parseLong(r[1]), first, Integer.parseInt(r[3]), splitTags(r[4])));
        }
        return List.copyOf(out.values());
    }

    void pvcreate(long metadataSize) {
        run(List.of("pvcreate", "--metadatasize", metadataSize + "b", device));
    }

    void pvremove() {
        run(List.of("pvremove", "-y", "-ff", device));
    }

    void vgcreate(String vg, List<String> tags) {
        List<String> args = new ArrayList<>(List.of("vgcreate", "--alloc", "contiguous"));
        tags.forEach(t -> args.addAll(List.of("--addtag", t)));
        args.addAll(List.of(vg, device));
        run(args);
    }

    void vgremove(String vg) {
        run(List.of("vgremove", "-y", "-f", vg));
    }

    /** A new, inactive volume of {@code extents} contiguous extents, not zeroed. */
    void lvcreate(String vg, String lv, long extents, List<String> tags) {
        List<String> args = new ArrayList<>(List.of("lvcreate", "-an", "-Zn", "--alloc", "contiguous", "-l", Long.toString(extents),
                "-n", lv));
        tags.forEach(t -> args.addAll(List.of("--addtag", t)));
        args.add(vg);
        run(args);
    }

    /** Grows a volume in place, contiguously (fails with {@code NO_SPACE} when the next extents are taken). */
    void lvextend(String vg, String lv, long extents) {
        run(List.of("lvextend", "--alloc", "contiguous", "-l", Long.toString(extents), vg + "/" + lv));
    }

    void lvremove(String vg, String lv) {
        run(List.of("lvremove", "-y", vg + "/" + lv));
    }

    /** Adds and removes tags of one volume in one metadata update. */
    void retag(String vg, String lv, List<String> add, List<String> remove) {
        if (add.isEmpty() && remove.isEmpty()) {
            return;
        }
        List<String> args = new ArrayList<>(List.of("lvchange"));
        remove.forEach(t -> args.addAll(List.of("--deltag", t)));
        add.forEach(t -> args.addAll(List.of("--addtag", t)));
        args.add(vg + "/" + lv);
        run(args);
    }

    /** Activates ({@code true}) or deactivates a volume: needs device-mapper. */
    void activate(String vg, String lv, boolean on) {
        run(List.of("lvchange", on ? "-ay" : "-an", vg + "/" + lv));
    }

    private List<String[]> report(List<String> cmd) {
        List<String> args = new ArrayList<>(cmd.subList(0, 1));
        args.addAll(List.of("--noheadings", "--separator", "|", "--units", "b", "--nosuffix"));
        args.addAll(cmd.subList(1, cmd.size()));
        String out = run(args, QUERY_TIMEOUT).stdout();
        List<String[]> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                rows.add(Arrays.stream(line.strip().split("\\|", -1)).map(String::strip).toArray(String[]::new));
            }
        }
        return rows;
    }

    private CommandRunner.Result run(List<String> cmd) {
        return run(cmd, null);
    }

    /**
     * Runs an lvm2 command with the repository's confinement. Queries have a deadline, so that a
     * LUN whose paths are down (I/O queued by multipath or an iSCSI session) gives
     * {@code UNAVAILABLE} instead of a hung host; changes have none, since killing one half-way
     * would be worse than waiting.
     */
    private CommandRunner.Result run(List<String> cmd, Duration timeout) {
        List<String> args = new ArrayList<>();
        args.add(cmd.get(0));
        args.addAll(List.of("--config", config));
        if (metadataOnly) {
            args.addAll(List.of("--driverloaded", "n"));
        }
        args.addAll(cmd.subList(1, cmd.size()));
        CommandRunner.Result r = commands.run(args, timeout, List.of());
        if (!r.ok()) {
            throw failure(cmd, r);
        }
        return r;
    }

    /** lvm2's words for a failed command, without its warnings, with the error code they mean. */
    private StorageException failure(List<String> cmd, CommandRunner.Result r) {
        StringBuilder msg = new StringBuilder();
        for (String line : (r.stderr() + "\n" + r.stdout()).split("\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("WARNING: Activation disabled") && !l.contains("not zeroed")) {
                msg.append(msg.length() == 0 ? "" : "; ").append(l);
            }
        }
        String text = String.join(" ", cmd) + " failed (exit " + r.exitCode() + "): " + msg;
        String lower = msg.toString().toLowerCase(java.util.Locale.ROOT);
        StorageErrorCode code = lower.contains("insufficient") || lower.contains("not enough") || lower.contains("no space")
                ? StorageErrorCode.NO_SPACE : StorageErrorCode.BACKEND_FAILED;
        return new StorageException(code, text);
    }

    private static List<String> splitTags(String field) {
        return field.isBlank() ? List.of() : List.of(field.split(","));
    }
}
