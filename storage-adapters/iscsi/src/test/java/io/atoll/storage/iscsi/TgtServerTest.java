package io.atoll.storage.iscsi;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Without tgt the iSCSI tests fail (never skip) and say how to get it. */
class TgtServerTest {
    @Test
    void aMissingToolFailsWithTheFix() {
        assertThatThrownBy(() -> TgtServer.requireTool("tgtd-that-is-not-installed"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("tgtd-that-is-not-installed is not installed")
                .hasMessageContaining("run bin/install-deps");
    }
}
