package io.atoll.storage.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Parsing {@code tgtadm --op show --mode target} as tgt 1.0.85 (Debian 12) prints it. */
class TgtTargetsTest {
    // Captured from tgtd 1.0.85 with one initiator logged in, CHAP bound, a read-only LUN.
    static final String SHOWN = """
            Target 1: iqn.2024-01.io.atoll:a
                System information:
                    Driver: iscsi
                    State: ready
                I_T nexus information:
                    I_T nexus: 10
                        Initiator: iqn.2008-11.org.linux-kvm alias: none
                        Connection: 0
                            IP Address: 127.0.0.1
                LUN information:
                    LUN: 0
                        Type: controller
                        SCSI ID: IET     00010000
                        SCSI SN: beaf10
                        Size: 0 MB, Block size: 1
                        Online: Yes
                        Removable media: No
                        Prevent removal: No
                        Readonly: No
                        SWP: No
                        Thin-provisioning: No
                        Backing store type: null
                        Backing store path: None
                        Backing store flags:\s
                    LUN: 1
                        Type: disk
                        SCSI ID: IET     00010001
                        SCSI SN: beaf11
                        Size: 67 MB, Block size: 512
                        Online: Yes
                        Removable media: No
                        Prevent removal: No
                        Readonly: Yes
                        SWP: No
                        Thin-provisioning: No
                        Backing store type: rdwr
                        Backing store path: /srv/luns/sr/d 1.img
                        Backing store flags:\s
                Account information:
                    u1
                    out1 (outgoing)
                ACL information:
                    ALL
            Target 2: iqn.2024-01.io.atoll:b
                System information:
                    Driver: iscsi
                    State: ready
                I_T nexus information:
                LUN information:
                    LUN: 0
                        Type: controller
                        Readonly: No
                        Backing store path: None
                Account information:
                    u1
                ACL information:
            """;

    @Test
    void readsTargetsLunsSessionsAndAccounts() {
        TgtTargets t = TgtTargets.parse(SHOWN);
        assertThat(t.targets()).hasSize(2);
        TgtTargets.Target a = t.byIqn("iqn.2024-01.io.atoll:a").orElseThrow();
        assertThat(a.tid()).isEqualTo(1);
        assertThat(a.sessions()).isEqualTo(1);
        assertThat(a.luns()).containsOnlyKeys(0, 1);
        assertThat(a.luns().get(1)).isEqualTo(new TgtTargets.Lun(1, "/srv/luns/sr/d 1.img", true));
        assertThat(a.luns().get(0).readOnly()).isFalse();
        assertThat(a.accounts()).containsExactly("u1");
        assertThat(a.acls()).containsExactly("ALL");
        TgtTargets.Target b = t.byIqn("iqn.2024-01.io.atoll:b").orElseThrow();
        assertThat(b.sessions()).isZero();
        assertThat(b.acls()).isEmpty();
        assertThat(t.freeTid()).isEqualTo(3);
        assertThat(t.accountBoundElsewhere("u1", 1)).isTrue();
        assertThat(t.accountBoundElsewhere("u1", 2)).isTrue();
        assertThat(t.accountBoundElsewhere("nobody", 1)).isFalse();
    }

    @Test
    void nothingShownIsNoTargets() {
        TgtTargets t = TgtTargets.parse("");
        assertThat(t.targets()).isEmpty();
        assertThat(t.freeTid()).isEqualTo(1);
    }
}
