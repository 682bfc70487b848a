package io.atoll.ha;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The fenced master lease in the pool database (table {@code ha_master_lease}, one row; DDL in
 * {@code ha/db/V70__ha_master_lease.sql}). Expiry is judged by the database's clock alone, so no two
 * machines' clocks need to agree; taking the lease is a compare-and-set on the epoch, so of racing
 * standbys exactly one wins; and the epoch is the fencing token. Why this makes two active masters
 * impossible is argued in docs/ha.md.
 *
 * <p>The holder trusts its lease locally until {@code sent + duration − guard} on its own monotonic
 * clock, where {@code sent} is when it sent the statement that set the expiry — before the database
 * evaluated {@code CURRENT_TIMESTAMP}. {@link #held()} turns false at that instant even if nothing
 * else happens (a hung renewal, a paused process that wakes up): "late" loses the lease.
 *
 * <p>Each call opens its own connection (auto-commit) and bounds its statement by the lease statement
 * timeout. Methods are thread-safe.
 */
public final class MasterLease {
    private static final Logger LOG = Logger.getLogger(MasterLease.class);

    private final DataSource dataSource;
    private final String holder;
    private final HaTimings timings;
    private final LongSupplier nanoClock;
    private volatile Held held;

    private record Held(FencingToken token, long validUntilNanos) {
    }

    /** What the row says now. */
    public record State(String holder, long epoch, Instant expiresAt, boolean expired) {
    }

    public MasterLease(DataSource dataSource, String holder, HaTimings timings) {
        this(dataSource, holder, timings, System::nanoTime);
    }

    MasterLease(DataSource dataSource, String holder, HaTimings timings, LongSupplier nanoClock) {
        if (holder == null || holder.isBlank() || holder.length() > 255) {
            throw new IllegalArgumentException("a lease holder is named by 1 to 255 characters: " + holder);
        }
        this.dataSource = dataSource;
        this.holder = holder;
        this.timings = timings;
        this.nanoClock = nanoClock;
    }

    public String holder() {
        return holder;
    }

    /** The token while the lease is trusted locally; empty once it is lost, released or late. */
    public Optional<FencingToken> held() {
        Held h = held;
        if (h == null || nanoClock.getAsLong() - h.validUntilNanos >= 0) {
            return Optional.empty();
        }
        return Optional.of(h.token);
    }

    /** Nanoseconds (on the clock of {@link #held()}) until the lease stops being trusted, or 0. */
    public long remainingNanos() {
        Held h = held;
        return h == null ? 0 : Math.max(0, h.validUntilNanos - nanoClock.getAsLong());
    }

    /** Reads the row. */
    public State read() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(
                     "SELECT holder, epoch, expires_at, expires_at < CURRENT_TIMESTAMP FROM ha_master_lease WHERE id = 1")) {
            bound(s);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new SQLException("ha_master_lease has no row: run V70__ha_master_lease.sql");
                }
                Timestamp expires = r.getTimestamp(3);
                return new State(r.getString(1), r.getLong(2), expires.toInstant(), r.getBoolean(4));
            }
        }
    }

    /**
     * Takes the lease if it has expired by the database's clock: {@code UPDATE … SET epoch = epoch + 1 …
     * WHERE epoch = (read) AND expires_at < CURRENT_TIMESTAMP}. Of several callers at once, at most one
     * gets a token. The caller must be in the majority partition ({@link MasterElection} checks it).
     */
    public Optional<FencingToken> tryAcquire() throws SQLException {
        State now = read();
        if (!now.expired()) {
            return Optional.empty();
        }
        long sent = nanoClock.getAsLong();
        int rows;
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("UPDATE ha_master_lease SET holder = ?, epoch = epoch + 1, "
                     + "expires_at = CURRENT_TIMESTAMP + CAST(? AS DOUBLE PRECISION) * INTERVAL '0.001' SECOND, acquired_at = CURRENT_TIMESTAMP "
                     + "WHERE id = 1 AND epoch = ? AND expires_at < CURRENT_TIMESTAMP")) {
            bound(s);
            s.setString(1, holder);
            s.setLong(2, timings.leaseDuration().toMillis());
            s.setLong(3, now.epoch());
            rows = s.executeUpdate();
        }
        if (rows != 1) {
            return Optional.empty();
        }
        FencingToken token = new FencingToken(now.epoch() + 1, holder);
        held = new Held(token, validUntil(sent));
        LOG.infof("master lease: %s took epoch %d (previous holder %s)", holder, token.epoch(), now.holder());
        return Optional.of(token);
    }

    /**
     * Extends the lease held with {@code token}, only while the database still says it is this holder's
     * and unexpired. On false (deposed, expired) or an exception, the lease is dropped locally: the
     * caller must stop acting as master.
     */
    public boolean renew(FencingToken token) throws SQLException {
        long sent = nanoClock.getAsLong();
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("UPDATE ha_master_lease SET "
                     + "expires_at = CURRENT_TIMESTAMP + CAST(? AS DOUBLE PRECISION) * INTERVAL '0.001' SECOND "
                     + "WHERE id = 1 AND epoch = ? AND holder = ? AND expires_at > CURRENT_TIMESTAMP")) {
            bound(s);
            s.setLong(1, timings.leaseDuration().toMillis());
            s.setLong(2, token.epoch());
            s.setString(3, holder);
            if (s.executeUpdate() == 1) {
                Held h = held;
                if (h != null && h.token.equals(token)) {
                    held = new Held(token, validUntil(sent));
                }
                return true;
            }
        } catch (SQLException | RuntimeException e) {
            drop(token);
            throw e;
        }
        drop(token);
        return false;
    }

    /** Gives the lease up (clean shutdown, or the majority lost): a standby may take it at once. */
    public void release(FencingToken token) throws SQLException {
        drop(token);
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(
                     "UPDATE ha_master_lease SET expires_at = CURRENT_TIMESTAMP WHERE id = 1 AND epoch = ? AND holder = ?")) {
            bound(s);
            s.setLong(1, token.epoch());
            s.setString(2, holder);
            s.executeUpdate();
        }
        LOG.infof("master lease: %s released epoch %d", holder, token.epoch());
    }

    /** Forgets the lease locally without telling the database (it expires by itself). */
    public void drop(FencingToken token) {
        Held h = held;
        if (h != null && h.token.equals(token)) {
            held = null;
        }
    }

    /**
     * The fence inside a master's own write transaction: locks the lease row for share until
     * {@code connection} commits and refuses the transaction when {@code token} is no longer the current
     * epoch. A standby's {@code UPDATE} of the row waits for that commit, so a write either commits
     * before the lease changes hands or is refused. (PostgreSQL, or H2; the connection must not auto-commit.)
     *
     * @throws FencedException when a newer epoch holds the lease
     */
    public static void checkFence(Connection connection, FencingToken token) throws SQLException {
        // H2 (the embedded default, or instances sharing an H2 server) has no FOR SHARE: FOR UPDATE holds the row
        // the same way against a taker, and costs nothing more there (a master's writes already queue on the event clock).
        boolean h2 = connection.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("h2");
        try (PreparedStatement s = connection.prepareStatement("SELECT epoch FROM ha_master_lease WHERE id = 1 " + (h2 ? "FOR UPDATE" : "FOR SHARE"));
             ResultSet r = s.executeQuery()) {
            if (!r.next()) {
                throw new SQLException("ha_master_lease has no row");
            }
            FencingToken.check(token.epoch(), r.getLong(1));
            if (r.getLong(1) != token.epoch()) {
                throw new FencedException(token.epoch(), r.getLong(1));
            }
        }
    }

    private long validUntil(long sentNanos) {
        return sentNanos + timings.leaseDuration().minus(timings.leaseGuard()).toNanos();
    }

    private void bound(PreparedStatement s) throws SQLException {
        s.setQueryTimeout((int) Math.max(1, (timings.leaseStatementTimeout().toMillis() + 999) / 1000));
    }
}
