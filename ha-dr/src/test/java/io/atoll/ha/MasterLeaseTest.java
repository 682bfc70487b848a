package io.atoll.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.ha.testing.Await;
import io.atoll.ha.testing.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fenced lease on a real PostgreSQL: compare-and-set, local expiry before the database's, fencing. */
class MasterLeaseTest {
    private static final HaTimings T = new HaTimings(Duration.ofSeconds(2));
    private static PostgresServer postgres;
    private static DataSource db;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresServer.start();
        db = postgres.dataSource();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void freshLease() {
        postgres.resetLease();
    }

    @Test
    void theFirstMasterTakesEpochOneAndOthersWaitForExpiry() throws Exception {
        MasterLease a = new MasterLease(db, "m1", T);
        MasterLease b = new MasterLease(db, "m2", T);
        FencingToken ta = a.tryAcquire().orElseThrow();
        assertThat(ta).isEqualTo(new FencingToken(1, "m1"));
        assertThat(a.held()).contains(ta);
        assertThat(b.tryAcquire()).isEmpty();
        assertThat(a.renew(ta)).isTrue();
        assertThat(b.tryAcquire()).isEmpty();
        MasterLease.State row = a.read();
        assertThat(row.holder()).isEqualTo("m1");
        assertThat(row.epoch()).isEqualTo(1);
        assertThat(row.expired()).isFalse();

        // A clean release hands over at once, with a new epoch.
        a.release(ta);
        assertThat(a.held()).isEmpty();
        assertThat(b.tryAcquire()).contains(new FencingToken(2, "m2"));
    }

    @Test
    void ofManyRacingStandbysExactlyOneWins() throws Exception {
        int racers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            for (int round = 0; round < 5; round++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Optional<FencingToken>>> results = new ArrayList<>();
                for (int i = 0; i < racers; i++) {
                    MasterLease l = new MasterLease(db, "m" + i, T);
                    results.add(pool.submit(() -> {
                        go.await();
                        return l.tryAcquire();
                    }));
                }
                go.countDown();
                List<FencingToken> winners = new ArrayList<>();
                for (Future<Optional<FencingToken>> f : results) {
                    f.get().ifPresent(winners::add);
                }
                assertThat(winners).as("round %d", round).hasSize(1);
                assertThat(winners.get(0).epoch()).isEqualTo(round + 1);
                // Expire it for the next round (as a release would).
                new MasterLease(db, winners.get(0).holder(), T).release(winners.get(0));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A holder that stops renewing (a paused process) stops trusting its lease before the database lets
     * anyone else take it: the instants never overlap.
     */
    @Test
    void aSilentHolderLetsGoLocallyBeforeTheDatabaseHandsOver() throws Exception {
        MasterLease a = new MasterLease(db, "m1", T);
        MasterLease b = new MasterLease(db, "m2", T);
        FencingToken ta = a.tryAcquire().orElseThrow();
        long[] localEnd = {0};
        long[] takenOver = {0};
        Await.until(T.timeout().multipliedBy(3), () -> "m2 never took over", () -> {
            long now = System.nanoTime();
            if (localEnd[0] == 0 && a.held().isEmpty()) {
                localEnd[0] = now;
            }
            try {
                if (b.tryAcquire().isPresent()) {
                    takenOver[0] = System.nanoTime();
                    return true;
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            return false;
        });
        assertThat(localEnd[0]).as("m1 stopped trusting its lease").isNotZero();
        assertThat(takenOver[0] - localEnd[0]).as("gap between m1 letting go and m2 taking over, ns")
                .isGreaterThanOrEqualTo(T.leaseGuard().toNanos() / 2);
        // The late renewal is refused, and m1 knows it is deposed.
        assertThat(a.renew(ta)).isFalse();
        assertThat(a.held()).isEmpty();
    }

    @Test
    void aDeposedMastersEpochIsRefusedInTheDatabaseAndByAgents() throws Exception {
        MasterLease a = new MasterLease(db, "m1", T);
        MasterLease b = new MasterLease(db, "m2", T);
        FencingToken old = a.tryAcquire().orElseThrow();
        FencingGate agent = new FencingGate();
        agent.admit(old.epoch());
        a.release(old);
        FencingToken fresh = b.tryAcquire().orElseThrow();
        agent.admit(fresh.epoch());

        // The old master's late call to an agent bounces.
        assertThatThrownBy(() -> agent.admit(old.epoch())).isInstanceOf(FencedException.class)
                .hasMessageContaining("epoch 1 is fenced: epoch 2 has taken over");
        // Its late write transaction is refused; the new master's commits.
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            assertThatThrownBy(() -> MasterLease.checkFence(c, old)).isInstanceOf(FencedException.class);
            c.rollback();
            MasterLease.checkFence(c, fresh);
            c.commit();
        }
        assertThat(a.renew(old)).isFalse();
    }

    /** A master's write transaction holding the fence delays a takeover until it commits: never interleaved. */
    @Test
    void aTakeoverWaitsForAWriteThatHoldsTheFence() throws Exception {
        MasterLease a = new MasterLease(db, "m1", T);
        FencingToken ta = a.tryAcquire().orElseThrow();
        // Time passes: the lease expires (as if m1 were paused right after starting its write).
        try (Connection other = db.getConnection(); Statement o = other.createStatement()) {
            o.execute("UPDATE ha_master_lease SET expires_at = CURRENT_TIMESTAMP - INTERVAL '1 second'");
        }
        ExecutorService one = Executors.newSingleThreadExecutor();
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            MasterLease.checkFence(c, ta);
            Future<Optional<FencingToken>> takeover = one.submit(() -> new MasterLease(db, "m2", T).tryAcquire());
            Thread.sleep(300);
            assertThat(takeover.isDone()).as("the standby's UPDATE waits for the fenced write").isFalse();
            c.commit();
            assertThat(takeover.get()).contains(new FencingToken(2, "m2"));
        } finally {
            one.shutdownNow();
        }
    }

    /** The migration also runs on H2 in PostgreSQL mode: the master's embedded default applies it too. */
    @Test
    void theMigrationRunsOnH2() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:lease;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE");
             Statement s = c.createStatement()) {
            for (String sql : PostgresServer.migration()) {
                s.execute(sql);
            }
            try (var r = s.executeQuery("SELECT epoch, holder FROM ha_master_lease WHERE id = 1")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getLong(1)).isZero();
                assertThat(r.getString(2)).isNull();
            }
            assertThatThrownBy(() -> s.execute("INSERT INTO ha_master_lease (id, epoch, expires_at) VALUES (2, 0, CURRENT_TIMESTAMP)"))
                    .isInstanceOf(SQLException.class);
            // The lease's statements run there too (the all-in-one master and master instances sharing an H2 server).
            org.h2.jdbcx.JdbcDataSource h2 = new org.h2.jdbcx.JdbcDataSource();
            h2.setURL("jdbc:h2:mem:lease;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE");
            MasterLease a = new MasterLease(h2, "m1", T);
            FencingToken t = a.tryAcquire().orElseThrow();
            assertThat(t.epoch()).isEqualTo(1);
            assertThat(new MasterLease(h2, "m2", T).tryAcquire()).isEmpty();
            assertThat(a.renew(t)).isTrue();
            try (Connection w = h2.getConnection()) {
                w.setAutoCommit(false);
                MasterLease.checkFence(w, t); // the current epoch passes (FOR UPDATE on H2)
                w.rollback();
            }
            a.release(t);
            assertThat(new MasterLease(h2, "m2", T).tryAcquire()).map(FencingToken::epoch).contains(2L);
            try (Connection w = h2.getConnection()) {
                w.setAutoCommit(false);
                assertThatThrownBy(() -> MasterLease.checkFence(w, t)).isInstanceOf(FencedException.class);
                w.rollback();
            }
        }
    }
}
