package io.atoll.storage.nfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.atoll.storage.qcow2.Json;
import io.atoll.storage.spi.CommandRunner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * QEMU's own NFS client reaches what the store names: qemu-img creates images at
 * {@code location()}, qemu-io opens them through {@code protocol()} as a {@code json:} filename,
 * and overlays find their backing images on the export.
 */
class NfsQemuIT {
    static final CommandRunner RUN = new CommandRunner();
    static GaneshaServer server;
    NfsImageStore store;

    @BeforeAll
    static void startServer() throws Exception {
        server = GaneshaServer.launch();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void newStore() {
        store = new NfsImageStore(new NfsLocation(GaneshaServer.HOST, server.exportPath(), "qemu-" + UUID.randomUUID().toString()
                .substring(0, 8)));
        store.initialize();
    }

    @AfterEach
    void removeStore() {
        store.destroy();
        store.close();
    }

    String opened(String image) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("driver", "qcow2");
        node.put("file", store.protocol(image));
        return "json:" + Json.write(node);
    }

    CommandRunner.Result qemuIo(String image, String... commands) {
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-io"));
        for (String c : commands) {
            cmd.addAll(List.of("-c", c));
        }
        cmd.add(opened(image));
        return RUN.run(cmd);
    }

    @Test
    void qemuImgCreatesAtTheLocationAndQemuIoWritesThroughTheProtocolNode() {
        RUN.check(List.of("qemu-img", "create", "-q", "-f", "qcow2", store.location("img-a.qcow2"), "16M"));
        assertThat(store.exists("img-a.qcow2")).isTrue();
        assertThat(server.exportDir().resolve(store.nfsLocation().path()).resolve("img-a.qcow2")).isRegularFile();

        CommandRunner.Result w = qemuIo("img-a.qcow2", "write -P 0x5a 0 64k", "read -P 0x5a 0 64k");
        assertThat(w.ok()).as(w.stderr() + w.stdout()).isTrue();
        assertThat(w.stdout()).doesNotContain("Pattern verification failed");
        // the URL form opens the same image
        CommandRunner.Result r = RUN.run(List.of("qemu-io", "-f", "qcow2", "-r", "-c", "read -P 0x5a 0 64k", store.location("img-a.qcow2")));
        assertThat(r.ok()).as(r.stderr()).isTrue();
        assertThat(r.stdout()).doesNotContain("Pattern verification failed");
        assertThat(store.allocated("img-a.qcow2")).isGreaterThan(64 * 1024);
    }

    @Test
    void anOverlayWithAnAbsoluteBackingReferenceReadsItsBase() {
        RUN.check(List.of("qemu-img", "create", "-q", "-f", "qcow2", store.location("base.qcow2"), "16M"));
        assertThat(qemuIo("base.qcow2", "write -P 0x11 0 64k").ok()).isTrue();
        RUN.check(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", store.backingReference("base.qcow2"), "-F", "qcow2",
                store.location("top.qcow2")));

        CommandRunner.Result r = qemuIo("top.qcow2", "read -P 0x11 0 64k", "write -P 0x22 64k 64k", "read -P 0x22 64k 64k");
        assertThat(r.ok()).as(r.stderr()).isTrue();
        assertThat(r.stdout()).doesNotContain("Pattern verification failed");
        CommandRunner.Result base = qemuIo("base.qcow2", "read -P 0 64k 64k");
        assertThat(base.stdout()).doesNotContain("Pattern verification failed");
        CommandRunner.Result chain = RUN.check(List.of("qemu-img", "info", "--backing-chain", store.location("top.qcow2")));
        assertThat(chain.stdout()).contains("image: " + store.location("base.qcow2"));
    }

    /**
     * A known QEMU 7.2 limit (block/nfs.c nfs_dirname): the directory of an nfs node is its own
     * path plus '/', so a relative backing name resolves to {@code top.qcow2/base.qcow2} and the
     * overlay cannot be opened. If this test fails, QEMU resolves relative names now, and the
     * absolute {@link NfsImageStore#backingReference} is no longer needed.
     */
    @Test
    void aRelativeBackingNameDoesNotResolveOnQemu72() {
        RUN.check(List.of("qemu-img", "create", "-q", "-f", "qcow2", store.location("base.qcow2"), "16M"));
        CommandRunner.Result create = RUN.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
                store.location("top.qcow2")));
        assertThat(create.ok()).as("qemu-img create resolves against the URL it was given").isTrue();

        Map<String, Object> info = Json.object(RUN.check(List.of("qemu-img", "info", "--output=json", store.location("top.qcow2")))
                .stdout());
        assertThat(info.get("full-backing-filename")).isEqualTo(store.location("top.qcow2") + "/base.qcow2");
        CommandRunner.Result open = qemuIo("top.qcow2", "read 0 4k");
        assertThat(open.ok()).isFalse();
        assertThat(open.stderr()).contains("Could not open backing file");
    }
}
