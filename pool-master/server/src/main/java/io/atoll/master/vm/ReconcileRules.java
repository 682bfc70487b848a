package io.atoll.master.vm;

import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * What reconciliation decides for one VM, from the pool database's record of it (read before any
 * agent was asked) and what the hosts that answered report. Pure: no database, no agent, so every
 * rule is tested on its own (ReconcileRulesTest). The table in docs/pool-master.md
 * ("Reconciliation") is this class in words.
 *
 * <p>The rules in one line each: a host that answered is the truth about itself; a host that did
 * not answer tells nothing, so what the pool recorded there stays; a VM that runs (RUNNING or
 * PAUSED) somewhere wins over a saved or crashed copy elsewhere; two running copies are reported,
 * never resolved by killing one; nothing is decided for a VM whose operation is in progress.
 */
final class ReconcileRules {
    /** The agent's operation on a VM arriving by live migration (paused, waiting for its state). */
    static final String MIGRATION_ARRIVING = "migrate_receive";

    private ReconcileRules() {
    }

    /**
     * The pool database's record of a VM at the start of a pass.
     *
     * @param busy an operation holds the VM's lock (its task owns the VM)
     * @param scheduledOn the host a start in progress placed it on
     */
    record Recorded(UUID uuid, String name, long version, VmPowerState state, UUID residentOn, UUID scheduledOn, boolean busy,
                    UUID alsoRunningOn) {
        Recorded {
            Objects.requireNonNull(uuid, "uuid");
            Objects.requireNonNull(state, "state");
        }

        String label() {
            return "vm " + uuid + " (" + name + ")";
        }
    }

    /**
     * A change to record.
     *
     * @param host where the VM is now ({@code null} when {@code state} is HALTED)
     * @param state its power state now
     * @param alsoRunningOn a second host running it, or {@code null}
     * @param level how loud the log line is: INFO for a correction, WARN for a loss or a guess, ERROR for two copies
     * @param found what was found, for the log line
     * @param forgetOn a host whose halted definition of the VM is then removed (a halted VM lives in the database only)
     */
    record Outcome(UUID host, VmPowerState state, UUID alsoRunningOn, Logger.Level level, String found, UUID forgetOn) {
    }

    /**
     * The change {@code vm} needs, or {@code null} when the database already says what the hosts do.
     *
     * @param reports what each host that answered reports about this VM (hosts that do not know it are absent)
     * @param answered every host that answered this pass
     * @param atStart the pass the master makes at start-up, before its API opens: locks are left over from
     *     interrupted tasks (already failed), so they do not protect the VM
     */
    static Outcome decide(Recorded vm, Map<UUID, VmInfo> reports, Set<UUID> answered, boolean atStart) {
        if (vm.busy() && !atStart) {
            return null;
        }
        Map<UUID, VmInfo> running = new TreeMap<>();
        Map<UUID, VmInfo> kept = new TreeMap<>();
        reports.forEach((host, info) -> {
            if (MIGRATION_ARRIVING.equals(info.currentOperation())) {
                return; // a live migration's destination before the switch-over: not a copy yet (pool_migrate owns it)
            }
            if (runs(info.powerState())) {
                running.put(host, info);
            } else if (info.powerState() == VmPowerState.SUSPENDED || info.powerState() == VmPowerState.CRASHED) {
                kept.put(host, info);
            }
        });
        UUID home = vm.residentOn();
        if (home != null && !answered.contains(home)) {
            // Its host does not answer: the recorded state stays (dead hosts are HA's business). A copy
            // running elsewhere may be a second one: say so, kill nothing.
            UUID other = firstOther(running, home);
            if (other == null) {
                return change(vm, home, vm.state(), null, Logger.Level.INFO, "no host but " + host(home)
                        + " (which does not answer) holds it any more");
            }
            return change(vm, home, vm.state(), other, Logger.Level.ERROR, host(other) + " runs it ("
                    + running.get(other).powerState() + ") while it is recorded on " + host(home)
                    + ", which does not answer: it may run twice; nothing is stopped automatically");
        }
        if (home != null) {
            VmInfo there = reports.get(home);
            UUID elsewhere = firstOther(running, home);
            if (there != null && runs(there.powerState())) {
                if (elsewhere != null) {
                    return change(vm, home, there.powerState(), elsewhere, Logger.Level.ERROR, "both " + host(home) + " and "
                            + host(elsewhere) + " run it: two copies exist; nothing is stopped automatically");
                }
                return change(vm, home, there.powerState(), null, Logger.Level.INFO, host(home) + " reports it " + there.powerState()
                        + crash(there));
            }
            if (elsewhere != null) {
                return change(vm, elsewhere, running.get(elsewhere).powerState(), firstOther(running, elsewhere), Logger.Level.INFO,
                        host(elsewhere) + " runs it (" + running.get(elsewhere).powerState() + ") while " + host(home) + " "
                                + (there == null ? "does not know it" : "reports it " + there.powerState()));
            }
            if (there != null && there.powerState() != VmPowerState.HALTED) {
                return change(vm, home, there.powerState(), null, Logger.Level.INFO, host(home) + " reports it " + there.powerState()
                        + crash(there));
            }
            if (there != null) {
                Outcome halted = change(vm, null, VmPowerState.HALTED, null, Logger.Level.INFO, host(home) + " reports it HALTED");
                return halted == null ? null : new Outcome(null, VmPowerState.HALTED, null, halted.level(), halted.found(), home);
            }
            UUID keptElsewhere = kept.isEmpty() ? null : kept.keySet().iterator().next();
            if (keptElsewhere != null) {
                return change(vm, keptElsewhere, kept.get(keptElsewhere).powerState(), null, Logger.Level.INFO, host(home)
                        + " does not know it; " + host(keptElsewhere) + " holds it " + kept.get(keptElsewhere).powerState());
            }
            if (vm.state() == VmPowerState.SUSPENDED) {
                return change(vm, null, VmPowerState.HALTED, null, Logger.Level.WARN, host(home) + " does not know it any more:"
                        + " its suspend image went with its definition, so the saved memory state is lost; the next start boots"
                        + " the guest afresh from its disks");
            }
            return change(vm, null, VmPowerState.HALTED, null, Logger.Level.INFO, host(home) + " does not know it");
        }
        // Halted in the database, resident nowhere.
        if (atStart && vm.scheduledOn() != null && !answered.contains(vm.scheduledOn())) {
            return change(vm, vm.scheduledOn(), VmPowerState.RUNNING, null, Logger.Level.WARN, "a start interrupted by the master's"
                    + " restart had placed it on " + host(vm.scheduledOn()) + ", which does not answer: recorded as running there"
                    + " (it may be) until that host answers, so that it is not started a second time elsewhere");
        }
        if (!running.isEmpty()) {
            UUID first = running.keySet().iterator().next();
            UUID second = firstOther(running, first);
            return change(vm, first, running.get(first).powerState(), second, second == null ? Logger.Level.INFO : Logger.Level.ERROR,
                    host(first) + " runs it (" + running.get(first).powerState() + ")"
                            + (second == null ? "" : " and so does " + host(second) + ": two copies exist; nothing is stopped automatically"));
        }
        if (!kept.isEmpty()) {
            UUID first = kept.keySet().iterator().next();
            return change(vm, first, kept.get(first).powerState(), null, Logger.Level.INFO, host(first) + " holds it "
                    + kept.get(first).powerState() + crash(kept.get(first)));
        }
        return change(vm, null, VmPowerState.HALTED, null, Logger.Level.INFO, "no host runs it any more");
    }

    /** The outcome, or {@code null} when it is what the database already says. */
    private static Outcome change(Recorded vm, UUID host, VmPowerState state, UUID alsoRunningOn, Logger.Level level, String found) {
        UUID where = state == VmPowerState.HALTED ? null : host;
        if (Objects.equals(where, vm.residentOn()) && state == vm.state() && Objects.equals(alsoRunningOn, vm.alsoRunningOn())) {
            return null;
        }
        return new Outcome(where, state, alsoRunningOn, level, found, null);
    }

    static boolean runs(VmPowerState state) {
        return state == VmPowerState.RUNNING || state == VmPowerState.PAUSED;
    }

    private static UUID firstOther(Map<UUID, VmInfo> hosts, UUID not) {
        return hosts.keySet().stream().filter(h -> !h.equals(not)).findFirst().orElse(null);
    }

    private static String crash(VmInfo info) {
        return info.crashReason() == null ? "" : " (" + info.crashReason() + ")";
    }

    private static String host(UUID uuid) {
        return "host " + uuid;
    }
}
