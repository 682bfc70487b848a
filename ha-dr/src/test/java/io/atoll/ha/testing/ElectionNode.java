package io.atoll.ha.testing;

import io.atoll.ha.ClusterMember;
import io.atoll.ha.FencingToken;
import io.atoll.ha.HaStack;
import io.atoll.ha.HaTimings;
import io.atoll.ha.MasterElection;
import io.atoll.ha.MasterLease;
import io.atoll.ha.MemberId;
import io.atoll.ha.Quorum;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A would-be pool master as its own JVM, for MasterFailoverProcessIT: joins the cluster, elects, and
 * prints {@code ACTIVE epoch} / {@code STANDBY epoch} lines as its state changes. Arguments: name, port,
 * initial hosts (comma-separated host[port]), cluster name, T in ms, JDBC URL, user, expected master
 * names (comma-separated). The database password comes from the environment
 * ({@code ATOLL_HA_TEST_DB_PASSWORD}), never from the command line.
 */
public final class ElectionNode {
    private ElectionNode() {
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        HaTimings t = new HaTimings(Duration.ofMillis(Long.parseLong(args[4])));
        HaStack stack = HaStack.of(t).bindAddress("127.0.0.1").port(Integer.parseInt(args[1])).initialHosts(Arrays.asList(args[2].split(",")));
        Quorum q = Quorum.of(Arrays.stream(args[7].split(",")).map(MemberId::master).toList());
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(args[5]);
        ds.setUser(args[6]);
        ds.setPassword(System.getenv("ATOLL_HA_TEST_DB_PASSWORD"));
        ClusterMember member = ClusterMember.join(stack, args[3], MemberId.master(name), q);
        MasterElection.start(new MasterLease(ds, name, t), member, t, new MasterElection.Listener() {
            @Override
            public void activated(FencingToken token) {
                say("ACTIVE " + token.epoch());
            }

            @Override
            public void deactivated(FencingToken token, String reason) {
                say("STANDBY " + token.epoch());
            }
        });
        say("JOINED " + List.of(member.view().members()));
        Thread.currentThread().join();
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
