package io.atoll.master.vm;

import static io.atoll.node.api.VmPowerState.CRASHED;
import static io.atoll.node.api.VmPowerState.HALTED;
import static io.atoll.node.api.VmPowerState.PAUSED;
import static io.atoll.node.api.VmPowerState.RUNNING;
import static io.atoll.node.api.VmPowerState.SUSPENDED;
import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmPowerState;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/** Every rule of reconciliation on its own: the cases table of docs/pool-master.md ("Reconciliation"). */
class ReconcileRulesTest {
    // Ordered, so that "the first host" of the rules is H1.
    private static final UUID H1 = UUID.fromString("00000000-0000-0000-0000-000000000001");
    private static final UUID H2 = UUID.fromString("00000000-0000-0000-0000-000000000002");
    private static final UUID VM = UUID.randomUUID();

    private static ReconcileRules.Recorded recorded(VmPowerState state, UUID on) {
        return new ReconcileRules.Recorded(VM, "web", 3, state, on, null, false, null);
    }

    private static VmInfo info(VmPowerState state) {
        return new VmInfo(VM, "web", state, null, null, null, null, state == CRASHED ? "QEMU exited" : null, null, null);
    }

    private static ReconcileRules.Outcome decide(ReconcileRules.Recorded vm, Map<UUID, VmInfo> reports, Set<UUID> answered) {
        return ReconcileRules.decide(vm, reports, answered, false);
    }

    @Test
    void aHaltedVmThatAHostRunsIsRecordedRunningThere() {
        var out = decide(recorded(HALTED, null), Map.of(H2, info(RUNNING)), Set.of(H1, H2));
        assertThat(out.host()).isEqualTo(H2);
        assertThat(out.state()).isEqualTo(RUNNING);
        assertThat(out.alsoRunningOn()).isNull();
        assertThat(out.level()).isEqualTo(Logger.Level.INFO);
        assertThat(decide(recorded(HALTED, null), Map.of(H1, info(PAUSED)), Set.of(H1)).state()).isEqualTo(PAUSED);
    }

    @Test
    void aVmRecordedOnAnotherHostThatDoesNotRunItMovesToWhereItRuns() {
        var out = decide(recorded(RUNNING, H1), Map.of(H2, info(RUNNING)), Set.of(H1, H2));
        assertThat(out.host()).isEqualTo(H2);
        assertThat(out.found()).contains("does not know it");
        out = decide(recorded(CRASHED, H1), Map.of(H1, info(HALTED), H2, info(RUNNING)), Set.of(H1, H2));
        assertThat(out.host()).isEqualTo(H2);
        assertThat(out.state()).isEqualTo(RUNNING);
    }

    @Test
    void twoRunningCopiesAreMarkedAndLoggedAsAnErrorAndNothingMoves() {
        var out = decide(recorded(RUNNING, H2), Map.of(H1, info(RUNNING), H2, info(RUNNING)), Set.of(H1, H2));
        assertThat(out.host()).isEqualTo(H2);
        assertThat(out.state()).isEqualTo(RUNNING);
        assertThat(out.alsoRunningOn()).isEqualTo(H1);
        assertThat(out.level()).isEqualTo(Logger.Level.ERROR);
        // Once marked, the same finding is no change (no event, no log at every poll).
        var marked = new ReconcileRules.Recorded(VM, "web", 4, RUNNING, H2, null, false, H1);
        assertThat(decide(marked, Map.of(H1, info(RUNNING), H2, info(RUNNING)), Set.of(H1, H2))).isNull();
        // And when one copy is gone, the mark goes.
        assertThat(decide(marked, Map.of(H2, info(RUNNING)), Set.of(H1, H2)).alsoRunningOn()).isNull();
        // Halted in the database, running on two hosts: recorded on one, the other marked.
        out = decide(recorded(HALTED, null), Map.of(H1, info(RUNNING), H2, info(PAUSED)), Set.of(H1, H2));
        assertThat(out.host()).isEqualTo(H1);
        assertThat(out.alsoRunningOn()).isEqualTo(H2);
        assertThat(out.level()).isEqualTo(Logger.Level.ERROR);
    }

    @Test
    void aVmArrivingByLiveMigrationIsNotASecondCopy() {
        var arriving = new VmInfo(VM, "web", PAUSED, 42L, "tcg", null, "migrate_receive", null, null, null);
        assertThat(decide(recorded(RUNNING, H1), Map.of(H1, info(RUNNING), H2, arriving), Set.of(H1, H2))).isNull();
        assertThat(decide(recorded(HALTED, null), Map.of(H2, arriving), Set.of(H2))).isNull();
    }

    @Test
    void aRunningVmItsOnlineHostDoesNotKnowIsHalted() {
        var out = decide(recorded(RUNNING, H1), Map.of(), Set.of(H1));
        assertThat(out.state()).isEqualTo(HALTED);
        assertThat(out.host()).isNull();
        assertThat(out.forgetOn()).isNull();
        assertThat(decide(recorded(PAUSED, H1), Map.of(), Set.of(H1)).state()).isEqualTo(HALTED);
        assertThat(decide(recorded(CRASHED, H1), Map.of(), Set.of(H1)).state()).isEqualTo(HALTED);
    }

    @Test
    void whatItsHostReportsIsFollowedAndAHaltedDefinitionIsForgotten() {
        var out = decide(recorded(RUNNING, H1), Map.of(H1, info(HALTED)), Set.of(H1));
        assertThat(out.state()).isEqualTo(HALTED);
        assertThat(out.forgetOn()).isEqualTo(H1);
        out = decide(recorded(RUNNING, H1), Map.of(H1, info(CRASHED)), Set.of(H1));
        assertThat(out.state()).isEqualTo(CRASHED);
        assertThat(out.host()).isEqualTo(H1);
        assertThat(out.found()).contains("QEMU exited");
        assertThat(decide(recorded(RUNNING, H1), Map.of(H1, info(PAUSED)), Set.of(H1)).state()).isEqualTo(PAUSED);
        assertThat(decide(recorded(RUNNING, H1), Map.of(H1, info(RUNNING)), Set.of(H1))).as("agreement: nothing").isNull();
    }

    @Test
    void aSuspendedVmWhoseHostLostItIsHaltedWithAWarning() {
        var out = decide(recorded(SUSPENDED, H1), Map.of(), Set.of(H1));
        assertThat(out.state()).isEqualTo(HALTED);
        assertThat(out.level()).isEqualTo(Logger.Level.WARN);
        assertThat(out.found()).contains("saved memory state is lost");
        assertThat(decide(recorded(SUSPENDED, H1), Map.of(H1, info(SUSPENDED)), Set.of(H1))).isNull();
    }

    @Test
    void aHaltedVmThatAHostHoldsSuspendedOrCrashedIsRecordedThere() {
        assertThat(decide(recorded(HALTED, null), Map.of(H1, info(SUSPENDED)), Set.of(H1)).state()).isEqualTo(SUSPENDED);
        var out = decide(recorded(HALTED, null), Map.of(H2, info(CRASHED)), Set.of(H1, H2));
        assertThat(out.state()).isEqualTo(CRASHED);
        assertThat(out.host()).isEqualTo(H2);
        // A leftover halted definition is no disagreement.
        assertThat(decide(recorded(HALTED, null), Map.of(H1, info(HALTED)), Set.of(H1))).isNull();
        // A running copy wins over a saved one elsewhere.
        out = decide(recorded(HALTED, null), Map.of(H1, info(SUSPENDED), H2, info(RUNNING)), Set.of(H1, H2));
        assertThat(out.host()).isEqualTo(H2);
        assertThat(out.state()).isEqualTo(RUNNING);
    }

    @Test
    void anUnreachableHostsVmsKeepTheirRecordedState() {
        assertThat(decide(recorded(RUNNING, H1), Map.of(), Set.of())).isNull();
        assertThat(decide(recorded(SUSPENDED, H1), Map.of(), Set.of(H2))).isNull();
        // Another host runs it meanwhile: maybe twice. Marked, logged as an error, kept where recorded.
        var out = decide(recorded(RUNNING, H1), Map.of(H2, info(RUNNING)), Set.of(H2));
        assertThat(out.host()).isEqualTo(H1);
        assertThat(out.alsoRunningOn()).isEqualTo(H2);
        assertThat(out.level()).isEqualTo(Logger.Level.ERROR);
    }

    @Test
    void aVmWithAnOperationInProgressIsLeftToItsTask() {
        var busy = new ReconcileRules.Recorded(VM, "web", 3, HALTED, null, H1, true, null);
        assertThat(decide(busy, Map.of(H1, info(RUNNING)), Set.of(H1))).isNull();
        // At start-up the lock is a leftover of an interrupted task: the host's truth is taken.
        assertThat(ReconcileRules.decide(busy, Map.of(H1, info(RUNNING)), Set.of(H1), true).state()).isEqualTo(RUNNING);
    }

    @Test
    void anInterruptedStartWhoseHostDoesNotAnswerIsRecordedWhereItMayRun() {
        var interrupted = new ReconcileRules.Recorded(VM, "web", 3, HALTED, null, H1, true, null);
        var out = ReconcileRules.decide(interrupted, Map.of(), Set.of(), true);
        assertThat(out.host()).isEqualTo(H1);
        assertThat(out.state()).isEqualTo(RUNNING);
        assertThat(out.level()).isEqualTo(Logger.Level.WARN);
        // Its host answered and does not run it: it stays halted.
        assertThat(ReconcileRules.decide(interrupted, Map.of(H1, info(HALTED)), Set.of(H1), true)).isNull();
        assertThat(ReconcileRules.decide(interrupted, Map.of(), Set.of(H1), true)).isNull();
    }
}
