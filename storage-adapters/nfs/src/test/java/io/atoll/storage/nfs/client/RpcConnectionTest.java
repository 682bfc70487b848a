package io.atoll.storage.nfs.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every call ends within the timeout, also when the peer stops reading and a write would block for good. */
class RpcConnectionTest {

    @Test
    void aWriteThePeerNeverTakesTimesOutInsteadOfBlocking() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(4096);
            server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread acceptor = new Thread(() -> {
                try {
                    Socket s = server.accept(); // accepted, never read: the sender's buffers fill up
                    Thread.sleep(30_000);
                    s.close();
                } catch (Exception ignored) {
                    // the test ended
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            RpcConnection c = RpcConnection.open("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(1));
            byte[] big = new byte[32 << 20];
            long t0 = System.nanoTime();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(
                    () -> c.call(100003, 3, 7, new XdrWriter().raw(big, 0, big.length), 0, 0))
                    .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("did not answer within 1000 ms"));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
            c.close();
        }
    }
}
