package io.atoll.storage.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.CommandRunner;
import io.atoll.storage.spi.StorageErrorCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** How the tgtadm manager reads tgtadm's answers, with a scripted tgtadm. */
class TgtadmTargetManagerTest {
    static final String IQN = "iqn.2024-01.io.atoll:unit";
    static final String PASSWORD = "never-shown-pw";

    /** Answers tgtadm commands from a function of their arguments, and records them. */
    static final class ScriptedTgtadm extends CommandRunner {
        final List<List<String>> seen = new ArrayList<>();
        final Function<List<String>, Result> script;

        ScriptedTgtadm(Function<List<String>, Result> script) {
            this.script = script;
        }

        @Override
        public Result run(List<String> command, Duration timeout, List<String> secrets) {
            seen.add(command);
            return script.apply(command);
        }
    }

    static CommandRunner.Result ok(List<String> cmd, String out) {
        return new CommandRunner.Result(cmd, 0, out, "");
    }

    @Test
    void aDaemonThatIsNotThereIsUnavailable() {
        var tgtadm = new ScriptedTgtadm(cmd -> new CommandRunner.Result(cmd, 107, "",
                "tgtadm: failed to send request hdr to tgt daemon, Transport endpoint is not connected"));
        var manager = new TgtadmTargetManager(tgtadm, Path.of("/nonexistent"), 7, Duration.ofSeconds(1));
        assertThat(IscsiTestRig.assertError(StorageErrorCode.UNAVAILABLE, manager::ping).getMessage()).contains("control port 7").contains("tgt-control-port");
        assertThat(tgtadm.seen.get(0)).startsWith("tgtadm", "-C", "7", "--lld", "iscsi");
    }

    @Test
    void aFailedAccountCommandHidesThePassword() {
        // tgtadm refuses the account and (as a worst case) repeats its arguments in the error.
        var tgtadm = new ScriptedTgtadm(cmd -> {
            if (cmd.contains("account") && cmd.contains("new")) {
                return new CommandRunner.Result(cmd, 22, "", "tgtadm: refused " + String.join(" ", cmd));
            }
            if (cmd.contains("show") && cmd.contains("target")) {
                return ok(cmd, "Target 1: " + IQN + "\n    Account information:\n    ACL information:\n        ALL\n");
            }
            return ok(cmd, cmd.contains("account") ? "Account list:\n" : "");
        });
        var manager = new TgtadmTargetManager(tgtadm, Path.of("/nonexistent"), 0, Duration.ofSeconds(1));
        var export = new TargetManager.TargetExport("sr-1", IQN, Optional.of(new Chap("atoll", PASSWORD)), List.of());
        assertThat(IscsiTestRig.assertError(StorageErrorCode.BACKEND_FAILED, () -> manager.export(export)).getMessage()).doesNotContain(PASSWORD).contains("--password ***");
    }

    @Test
    void lunsThatDifferFromTheWantedOnesAreReplaced() {
        String shown = """
                Target 3: %s
                    System information:
                        Driver: iscsi
                    I_T nexus information:
                    LUN information:
                        LUN: 0
                            Readonly: No
                            Backing store path: None
                        LUN: 1
                            Readonly: No
                            Backing store path: /b/sr-1/disk-a.img
                        LUN: 2
                            Readonly: No
                            Backing store path: /b/sr-1/snap-b.img
                        LUN: 5
                            Readonly: No
                            Backing store path: /b/sr-1/stale.img
                    Account information:
                    ACL information:
                        ALL
                """.formatted(IQN);
        var tgtadm = new ScriptedTgtadm(cmd -> ok(cmd, cmd.contains("show") ? shown : ""));
        var manager = new TgtadmTargetManager(tgtadm, Path.of("/b"), 0, Duration.ofSeconds(1));
        manager.export(new TargetManager.TargetExport("sr-1", IQN, Optional.empty(), List.of(
                new TargetManager.Lun(1, "disk-a", false),   // as shown: kept
                new TargetManager.Lun(2, "snap-b", true),    // shown writable: re-made read-only
                new TargetManager.Lun(4, "disk-c", false)))); // missing: added; LUN 5 is not wanted: removed
        List<String> changes = tgtadm.seen.stream().filter(c -> !c.contains("show")).map(c -> String.join(" ", c.subList(6, c.size()))).toList();
        assertThat(changes).containsExactly(
                "delete --mode logicalunit --tid 3 --lun 2",
                "delete --mode logicalunit --tid 3 --lun 5",
                "new --mode logicalunit --tid 3 --lun 2 -b /b/sr-1/snap-b.img",
                "update --mode logicalunit --tid 3 --lun 2 --params readonly=1",
                "new --mode logicalunit --tid 3 --lun 4 -b /b/sr-1/disk-c.img");
    }
}
