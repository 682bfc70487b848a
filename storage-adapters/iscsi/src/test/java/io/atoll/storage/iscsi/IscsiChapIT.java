package io.atoll.storage.iscsi;

import static io.atoll.storage.iscsi.IscsiTestRig.GIB;
import static io.atoll.storage.iscsi.IscsiTestRig.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.DiskCreateRequest;
import io.atoll.storage.spi.QemuSecret;
import io.atoll.storage.spi.SrConfig;
import io.atoll.storage.spi.StorageRepository;
import io.atoll.storage.spi.VirtualDiskInfo;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CHAP: initiators must log in with the repository's account; QEMU gets the password only as a
 * secret object, and it shows nowhere else (attachment options, image names, the catalog).
 */
class IscsiChapIT {
    @RegisterExtension
    static final TgtServer TGT = new TgtServer();

    static final String PASSWORD = "s3cret-Chap-pw42";

    @Test
    void qemuLogsInWithTheSecretAndOnlyWithIt() throws Exception {
        try (IscsiTestRig rig = new IscsiTestRig(TGT)) {
            IscsiAdapter adapter = rig.adapter("host-a");
            SrConfig sr = rig.sr("chap", GIB, Map.of("chap-user", "atoll-chap", "chap-password", PASSWORD));
            adapter.create(sr);
            StorageRepository repo = adapter.attach(sr);
            VirtualDiskInfo disk = repo.createDisk(new DiskCreateRequest("guarded", 8 * MIB));

            DiskAttachment a = repo.attach(disk.id(), AccessMode.READ_WRITE);
            String secretId = (String) a.protocol().get("password-secret");
            assertThat(a.protocol()).containsEntry("user", "atoll-chap").doesNotContainValue(PASSWORD);
            assertThat(a.secrets()).containsExactly(new QemuSecret(secretId, PASSWORD));
            assertThat(a.toString()).doesNotContain(PASSWORD);

            // With the secret QEMU reads and writes; its image name carries the secret's id only.
            assertThat(QemuIo.io(a, "write -P 0x3c 0 1M", "read -P 0x3c 0 1M")).matches(QemuIo.Run::ok);
            QemuIo.Run info = QemuIo.info(a);
            assertThat(info).matches(QemuIo.Run::ok);
            assertThat(info.output()).contains(secretId).doesNotContain(PASSWORD);
            assertThat(info.command()).noneMatch(arg -> arg.contains(PASSWORD));

            // Without it, or with a wrong one, the target refuses the login.
            Map<String, Object> anonymous = new java.util.HashMap<>(a.protocol());
            anonymous.remove("user");
            anonymous.remove("password-secret");
            QemuIo.Run refused = QemuIo.io(new DiskAttachment(anonymous, "raw", null, false, null), "read 0 4k");
            assertThat(refused.ok()).isFalse();
            assertThat(refused.output()).contains("Authentication failure");
            DiskAttachment wrong = new DiskAttachment(a.protocol(), "raw", null, false, List.of(new QemuSecret(secretId, "wrong-password")));
            assertThat(QemuIo.io(wrong, "read 0 4k").output()).contains("Authentication failure");

            // The catalog on the array, read by every host, holds no password.
            String catalog = Files.readString(TGT.backingDir().resolve(sr.uuid()).resolve("sr.properties"));
            assertThat(catalog).doesNotContain(PASSWORD).contains(disk.id());

            repo.detach(disk.id());
            repo.deleteDisk(disk.id());
            repo.detach();
            adapter.destroy(sr);
            assertThat(TGT.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "account")).doesNotContain("atoll-chap");
        }
    }
}
