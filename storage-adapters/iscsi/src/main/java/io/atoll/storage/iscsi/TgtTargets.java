package io.atoll.storage.iscsi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The targets tgtd reports, parsed from {@code tgtadm --op show --mode target}. That output is
 * meant for people, so the parser reads only the lines it needs and ignores the rest; a field
 * tgt renames shows as a LUN that looks different, which {@link TgtadmTargetManager#export}
 * repairs rather than trusts.
 */
record TgtTargets(List<Target> targets) {

    /**
     * One target.
     *
     * @param tid tgt's target id
     * @param iqn its name
     * @param sessions the number of I_T nexuses (logged-in initiator sessions)
     * @param luns LUNs by number, in order, LUN 0 (tgt's controller) included
     * @param accounts CHAP users bound for incoming authentication
     * @param acls initiator addresses or names allowed ({@code ALL})
     */
    record Target(int tid, String iqn, int sessions, Map<Integer, Lun> luns, List<String> accounts, List<String> acls) {
    }

    /** A LUN as tgt shows it: its backing file ({@code None} for the controller) and whether it is read-only. */
    record Lun(int number, String backingPath, boolean readOnly) {
    }

    private static final Pattern TARGET = Pattern.compile("^Target (\\d+): (\\S+)\\s*$");
    private static final Pattern LUN = Pattern.compile("^LUN: (\\d+)$");

    static TgtTargets parse(String output) {
        List<Target> out = new ArrayList<>();
        Builder t = null;
        String section = "";
        for (String raw : output.split("\n")) {
            Matcher m = TARGET.matcher(raw);
            if (m.matches()) {
                if (t != null) {
                    out.add(t.build());
                }
                t = new Builder(Integer.parseInt(m.group(1)), m.group(2));
                section = "";
                continue;
            }
            String line = raw.strip();
            if (t == null || line.isEmpty()) {
                continue;
            }
            if (indent(raw) == 4 && line.endsWith("information:")) {
                section = line;
                continue;
            }
            switch (section) {
                case "I_T nexus information:" -> {
                    if (line.startsWith("I_T nexus:")) {
                        t.sessions++;
                    }
                }
                case "LUN information:" -> t.lunLine(line);
                case "Account information:" -> {
                    if (!line.endsWith("(outgoing)")) {
                        t.accounts.add(line);
                    }
                }
                case "ACL information:" -> t.acls.add(line);
                default -> {
                    // System information and whatever tgt adds later
                }
            }
        }
        if (t != null) {
            out.add(t.build());
        }
        return new TgtTargets(List.copyOf(out));
    }

    Optional<Target> byIqn(String iqn) {
        return targets.stream().filter(t -> t.iqn().equals(iqn)).findFirst();
    }

    /** The lowest target id not in use, for a new target. */
    int freeTid() {
        int tid = 1;
        while (true) {
            int candidate = tid;
            if (targets.stream().noneMatch(t -> t.tid() == candidate)) {
                return tid;
            }
            tid++;
        }
    }

    /** Whether any target other than {@code exceptTid} has this CHAP user bound. */
    boolean accountBoundElsewhere(String user, int exceptTid) {
        return targets.stream().anyMatch(t -> t.tid() != exceptTid && t.accounts().contains(user));
    }

    private static int indent(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    private static final class Builder {
        final int tid;
        final String iqn;
        int sessions;
        final Map<Integer, Lun> luns = new LinkedHashMap<>();
        final List<String> accounts = new ArrayList<>();
        final List<String> acls = new ArrayList<>();
        int lun = -1;
        String path = "None";
        boolean readOnly;

        Builder(int tid, String iqn) {
            this.tid = tid;
            this.iqn = iqn;
        }

        void lunLine(String line) {
            Matcher m = LUN.matcher(line);
            if (m.matches()) {
                flushLun();
                lun = Integer.parseInt(m.group(1));
                path = "None";
                readOnly = false;
            } else if (line.startsWith("Readonly:")) {
                readOnly = line.endsWith("Yes");
            } else if (line.startsWith("Backing store path:")) {
                path = line.substring("Backing store path:".length()).strip();
            }
        }

        void flushLun() {
            if (lun >= 0) {
                luns.put(lun, new Lun(lun, path, readOnly));
            }
            lun = -1;
        }

        Target build() {
            flushLun();
            return new Target(tid, iqn, sessions, Collections.unmodifiableSortedMap(new TreeMap<>(luns)), List.copyOf(accounts), List.copyOf(acls));
        }
    }
}
