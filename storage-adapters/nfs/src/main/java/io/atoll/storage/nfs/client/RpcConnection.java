package io.atoll.storage.nfs.client;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One ONC RPC (RFC 5531) connection over TCP with record marking, AUTH_SYS credentials and one
 * call at a time. Every call is bounded: connecting, sending and waiting for the reply together
 * take at most the timeout, so a server that is gone or hangs costs seconds, never forever. A call
 * left unanswered is sent again on the same connection within that time, as NFSv3 servers expect.
 * Not thread-safe: {@link NfsClient} lends each connection to one thread at a time.
 */
final class RpcConnection implements Closeable {
    private static final int LAST_FRAGMENT = 0x80000000;
    private static final int MAX_REPLY = 16 << 20;
    private static final int AUTH_NONE = 0;
    private static final int AUTH_SYS = 1;
    private static final byte[] MACHINE = "atoll".getBytes(StandardCharsets.US_ASCII);

    /**
     * The connection ended before any byte of the reply came: the server closed it while it was
     * idle (it restarted), so the call can be sent again on a new connection.
     */
    static final class ClosedBeforeReplyException extends IOException {
        private static final long serialVersionUID = 1L;

        ClosedBeforeReplyException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Ends writes that block past their call's deadline (see {@link #send}). */
    private static final java.util.concurrent.ScheduledExecutorService SEND_GUARD =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "nfs-rpc-send-guard");
                t.setDaemon(true);
                return t;
            });

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String peer;
    private final Duration timeout;
    private int xid = ThreadLocalRandom.current().nextInt();

    private RpcConnection(Socket socket, String peer, Duration timeout) throws IOException {
        this.socket = socket;
        this.peer = peer;
        this.timeout = timeout;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    /** Connects within the timeout. */
    static RpcConnection open(String host, int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            return new RpcConnection(s, host + ":" + port, timeout);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Calls a procedure as {@code uid}/{@code gid} and returns the reader at the start of its
     * result.
     *
     * @throws ClosedBeforeReplyException when the peer had closed the connection
     * @throws IOException when the call cannot be sent, times out, or the server refuses it
     */
    XdrReader call(int program, int version, int procedure, XdrWriter args, int uid, int gid) throws IOException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        int id = ++xid;
        XdrWriter cred = new XdrWriter().int32((int) (System.currentTimeMillis() / 1000)).opaque(MACHINE)
                .int32(uid).int32(gid).int32(0);
        XdrWriter msg = new XdrWriter().int32(0) // record mark, set below
                .int32(id).int32(0).int32(2).int32(program).int32(version).int32(procedure)
                .int32(AUTH_SYS).opaque(cred.toBytes())
                .int32(AUTH_NONE).int32(0)
                .append(args);
        byte[] bytes = msg.toBytes();
        int mark = LAST_FRAGMENT | (bytes.length - 4);
        bytes[0] = (byte) (mark >>> 24);
        bytes[1] = (byte) (mark >>> 16);
        bytes[2] = (byte) (mark >>> 8);
        bytes[3] = (byte) mark;
        send(bytes, deadline);
        // An NFSv3 server may drop a call without an answer and count on the client to send it
        // again: ganesha does when its file system reports a transient error, such as ENOMEM from
        // open_by_handle_at while the inode number of a just-removed file is being reused. The
        // very same bytes (same xid) are safe to resend: the server's duplicate request cache
        // answers a non-idempotent call it already carried out instead of doing it twice, and a
        // second reply to an idempotent one is skipped by its xid.
        long wait = timeout.toNanos() / 5;
        long resendAt = start + wait;
        while (true) {
            long until = Math.min(resendAt, deadline);
            if (!replyStarts(until)) {
                if (until == deadline) {
                    throw timedOut();
                }
                send(bytes, deadline);
                wait *= 2;
                resendAt += wait;
                continue;
            }
            XdrReader r = new XdrReader(readRecord(deadline));
            if (r.int32() != id) {
                continue; // the second reply to an earlier call that was sent again: not ours
            }
            if (r.int32() != 1) {
                throw new IOException(peer + ": not an RPC reply");
            }
            return accepted(r, program, version, procedure);
        }
    }

    private XdrReader accepted(XdrReader r, int program, int version, int procedure) throws IOException {
        String call = "RPC program " + program + " v" + version + " procedure " + procedure + " at " + peer;
        if (r.int32() != 0) {
            int reject = r.int32();
            throw new IOException(call + " denied: " + (reject == 0 ? "RPC version mismatch" : "authentication error " + r.int32()
                    + " (does the server accept AUTH_SYS from this host?)"));
        }
        r.int32(); // verifier flavor
        r.opaque(); // verifier body
        int stat = r.int32();
        return switch (stat) {
            case 0 -> r;
            case 1 -> throw new IOException(call + ": program unavailable");
            case 2 -> throw new IOException(call + ": version not supported (server has " + r.int32() + ".." + r.int32() + ")");
            case 3 -> throw new IOException(call + ": procedure unavailable");
            case 4 -> throw new IOException(call + ": the server could not decode the arguments");
            default -> throw new IOException(call + ": server error " + stat);
        };
    }

    /**
     * Writes a call; a write still blocked at the deadline (the peer stopped acknowledging — a cut
     * network — and the socket's send buffer is full: Java has no write timeout) is ended by
     * closing the socket, and the call times out.
     */
    private void send(byte[] call, long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw timedOut();
        }
        java.util.concurrent.ScheduledFuture<?> guard = SEND_GUARD.schedule(this::close, left, TimeUnit.NANOSECONDS);
        try {
            out.write(call);
            out.flush();
        } catch (SocketException e) {
            if (guard.isDone()) {
                throw timedOut();
            }
            throw new ClosedBeforeReplyException(peer + " closed the connection", e);
        } finally {
            guard.cancel(false);
        }
    }

    /**
     * Waits for the first byte of the next record without taking it.
     *
     * @return false when none came before {@code until}
     * @throws ClosedBeforeReplyException when the peer closed the connection instead
     */
    private boolean replyStarts(long until) throws IOException {
        if (in.available() > 0) {
            return true;
        }
        long left = (until - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            return false;
        }
        socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
        in.mark(1);
        int b;
        try {
            b = in.read();
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            throw new ClosedBeforeReplyException(peer + " closed the connection", e);
        }
        if (b < 0) {
            throw new ClosedBeforeReplyException(peer + " closed the connection", null);
        }
        in.reset();
        return true;
    }

    /** Reads one record (all its fragments) before the deadline. */
    private byte[] readRecord(long deadline) throws IOException {
        byte[] record = new byte[0];
        while (true) {
            int mark = readInt(deadline);
            int length = mark & ~LAST_FRAGMENT;
            if (record.length + (long) length > MAX_REPLY) {
                throw new IOException(peer + ": RPC reply larger than " + MAX_REPLY + " bytes");
            }
            int at = record.length;
            record = java.util.Arrays.copyOf(record, at + length);
            readFully(record, at, length, deadline);
            if ((mark & LAST_FRAGMENT) != 0) {
                return record;
            }
        }
    }

    private int readInt(long deadline) throws IOException {
        byte[] b = new byte[4];
        readFully(b, 0, 4, deadline);
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    private void readFully(byte[] b, int off, int len, long deadline) throws IOException {
        int done = 0;
        while (done < len) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw timedOut();
            }
            socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
            int n;
            try {
                n = in.read(b, off + done, len - done);
            } catch (SocketTimeoutException e) {
                throw timedOut();
            }
            if (n < 0) {
                throw new EOFException(peer + " closed the connection");
            }
            done += n;
        }
    }

    private SocketTimeoutException timedOut() {
        return new SocketTimeoutException(peer + " did not answer within " + timeout.toMillis() + " ms");
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a broken socket: nothing left to release
        }
    }
}
