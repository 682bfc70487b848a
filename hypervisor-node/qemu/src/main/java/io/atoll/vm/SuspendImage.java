package io.atoll.vm;

import io.atoll.node.api.NodeErrorCode;
import io.atoll.qmp.QmpClient;
import io.atoll.qmp.QmpCommand;
import io.atoll.qmp.QmpException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * A VM's memory and device state in a file: QEMU's migration stream, sent over a unix socket that
 * the agent streams to or from the file. QEMU 7.2 has no {@code file:} migration URI, and an
 * {@code exec:} URI would run a shell command line, which Atoll never does.
 *
 * <p>No hidden deadline: a transfer fails only when no byte has moved for a minute.
 */
final class SuspendImage {
    private static final Logger LOG = Logger.getLogger(SuspendImage.class);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STALL = Duration.ofSeconds(60);

    private final VmPaths paths;
    private final String label;

    SuspendImage(VmPaths paths, String label) {
        this.paths = paths;
        this.label = label;
    }

    /** Stops the vCPUs and writes the state to the suspend image; on failure the VM runs on as before. */
    void save(QmpClient qmp, boolean running) throws Exception {
        Path part = paths.suspendImage().resolveSibling(paths.suspendImage().getFileName() + ".part");
        Path sock = paths.stateSocket();
        Files.deleteIfExists(sock);
        long started = System.nanoTime();
        if (running) {
            qmp.execute(new QmpCommand.Stop(), QMP_TIMEOUT);
        }
        AtomicLong copied = new AtomicLong();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<Long> copy = CompletableFuture.supplyAsync(() -> receive(server, part, copied));
            qmp.execute(new QmpCommand.Migrate("unix:" + sock), QMP_TIMEOUT);
            awaitMigration(qmp, copied, "suspend");
            long bytes = copy.get(STALL.toSeconds(), TimeUnit.SECONDS);
            Files.move(part, paths.suspendImage(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            LOG.infof("%s: state saved, %d MiB in %d ms", label, bytes >> 20, (System.nanoTime() - started) / 1_000_000);
        } catch (Exception e) {
            try {
                qmp.execute(new QmpCommand.MigrateCancel(), QMP_TIMEOUT);
            } catch (QmpException ignored) {
                // nothing to cancel
            }
            Files.deleteIfExists(part);
            if (running) {
                try {
                    qmp.execute(new QmpCommand.Cont(), QMP_TIMEOUT);
                } catch (QmpException ignored) {
                    // QEMU has gone: the crash handler reports it
                }
            }
            throw e instanceof ExecutionException ee && ee.getCause() instanceof Exception c ? c : e;
        } finally {
            Files.deleteIfExists(sock);
        }
    }

    private static long receive(ServerSocketChannel server, Path part, AtomicLong copied) {
        try (SocketChannel in = server.accept();
             FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (in.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    copied.addAndGet(out.write(buf));
                }
                buf.clear();
            }
            out.force(true);
            return copied.get();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing the suspend image " + part + " failed: " + e.getMessage(), e);
        }
    }

    /** Streams the suspend image into a QEMU started with {@code -incoming defer}; the vCPUs stay stopped. */
    void restore(QmpClient qmp) throws Exception {
        Path sock = paths.stateSocket();
        Files.deleteIfExists(sock);
        long started = System.nanoTime();
        qmp.execute(new QmpCommand.MigrateIncoming("unix:" + sock), QMP_TIMEOUT);
        AtomicLong sent = new AtomicLong();
        try (SocketChannel out = connect(sock); FileChannel in = FileChannel.open(paths.suspendImage(), StandardOpenOption.READ)) {
            long size = in.size();
            while (sent.get() < size) {
                sent.addAndGet(in.transferTo(sent.get(), size - sent.get(), out));
            }
            out.shutdownOutput();
            awaitMigration(qmp, sent, "resume");
        } finally {
            Files.deleteIfExists(sock);
        }
        LOG.infof("%s: state restored, %d MiB in %d ms", label, sent.get() >> 20, (System.nanoTime() - started) / 1_000_000);
    }

    private SocketChannel connect(Path sock) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(sock));
                return ch;
            } catch (IOException e) {
                ch.close();
                if (System.nanoTime() > deadline) {
                    throw new IOException(label + ": QEMU does not listen for the suspend image on " + sock, e);
                }
                Thread.sleep(10);
            }
        }
    }

    /** Polls {@code query-migrate} until completed; fails on failed/cancelled or when no byte moved for a minute. */
    private void awaitMigration(QmpClient qmp, AtomicLong progress, String what) throws QmpException, InterruptedException {
        long lastProgress = progress.get();
        long lastChange = System.nanoTime();
        while (true) {
            QmpCommand.MigrationInfo info = qmp.execute(new QmpCommand.QueryMigrate(), QMP_TIMEOUT);
            String status = info.status() == null ? "none" : info.status();
            switch (status) {
                case "completed":
                    return;
                case "failed":
                case "cancelled":
                    throw new NodeException(NodeErrorCode.QMP_ERROR, label, label + ": " + what + " failed in QEMU: "
                            + (info.errorDesc() == null ? status : info.errorDesc()));
                default:
                    break;
            }
            long now = System.nanoTime();
            if (progress.get() != lastProgress) {
                lastProgress = progress.get();
                lastChange = now;
            } else if (now - lastChange > STALL.toNanos()) {
                throw new NodeException(NodeErrorCode.TIMEOUT, label, label + ": " + what + " stalled: no data moved for "
                        + STALL.toSeconds() + " s (status " + status + ")");
            }
            Thread.sleep(20);
        }
    }
}
