package io.atoll.guests;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a test guest printed on its serial console (the VM's console log), and a way to type on
 * it (the VM's serial socket). Waits are bounded polls, never plain sleeps.
 */
public final class GuestConsole {
    private static final Pattern COUNTER = Pattern.compile("^ATOLL-COUNTER (\\d+)\\s*$");

    private final Path log;
    private final Path socket;

    /**
     * @param log the console log file the VM's serial output goes to
     * @param socket the VM's serial console socket, or {@code null} for read-only use
     */
    public GuestConsole(Path log, Path socket) {
        this.log = log;
        this.socket = socket;
    }

    /** Every complete line printed so far. */
    public List<String> lines() {
        if (!Files.exists(log)) {
            return List.of();
        }
        try {
            String text = new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1);
            int end = text.lastIndexOf('\n');
            if (end < 0) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (String line : text.substring(0, end).split("\n")) {
                out.add(line.replace("\r", ""));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read console log " + log, e);
        }
    }

    /** How many lines match. */
    public long count(Predicate<String> match) {
        return lines().stream().filter(match).count();
    }

    /** Waits until a line matches, and returns it. Fails with the console's last lines. */
    public String await(Predicate<String> match, Duration timeout, String what) {
        return await(match, 0, timeout, what);
    }

    /** Waits until a line after the first {@code skip} lines matches. */
    public String await(Predicate<String> match, int skip, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> lines = lines();
            for (int i = skip; i < lines.size(); i++) {
                if (match.test(lines.get(i))) {
                    return lines.get(i);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("console " + log + ": no line " + what + " within " + timeout.toSeconds()
                        + " s; last lines: " + lines.subList(Math.max(0, lines.size() - 10), lines.size()));
            }
            sleep(50);
        }
    }

    /** The last counter value the counter guest printed, if any. */
    public OptionalLong lastCounter() {
        List<String> lines = lines();
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher m = COUNTER.matcher(lines.get(i));
            if (m.matches()) {
                return OptionalLong.of(Long.parseLong(m.group(1)));
            }
        }
        return OptionalLong.empty();
    }

    /** Waits until the counter guest has printed a value above {@code value}; returns the new value. */
    public long awaitCounterAbove(long value, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            OptionalLong last = lastCounter();
            if (last.isPresent() && last.getAsLong() > value) {
                return last.getAsLong();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("console " + log + ": the counter did not pass " + value + " within "
                        + timeout.toSeconds() + " s (last: " + last + ")");
            }
            sleep(50);
        }
    }

    /** All counter values printed, in order: a running guest's sequence only grows, by one. */
    public List<Long> counterValues() {
        List<Long> out = new ArrayList<>();
        for (String line : lines()) {
            Matcher m = COUNTER.matcher(line);
            if (m.matches()) {
                out.add(Long.parseLong(m.group(1)));
            }
        }
        return out;
    }

    /** How many times the counter guest has booted (its BOOT banner). */
    public long counterBoots() {
        return count(l -> l.startsWith("ATOLL-COUNTER BOOT"));
    }

    /** Types a line on the guest's serial console. */
    public void send(String line) {
        if (socket == null) {
            throw new IllegalStateException("this console was opened read-only");
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            // give the chardev time to hand the bytes to the UART before the socket closes
            sleep(100);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write to the serial socket " + socket, e);
        }
    }

    /** Sends a command to the Linux test guest and waits for the answer line starting with {@code answerPrefix}. */
    public String command(String line, String answerPrefix, Duration timeout) {
        int skip = lines().size();
        send(line);
        return await(l -> l.startsWith(answerPrefix), skip, timeout, "starting with '" + answerPrefix + "'");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
