package io.atoll.master.pool;

import io.atoll.master.auth.Passwords;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Join tokens: {@code atj_} + 256 random bits, shown once; the database keeps the SHA-256, as for
 * API tokens. A host's join presents one instead of a user's token: {@link #identify} finds it,
 * {@link #checkUsable} refuses an expired or used-up one before the master calls the agent (so an
 * anonymous caller cannot make the master call arbitrary addresses), and {@link #takeUse} takes a
 * use under the row's lock in the transaction that records the host, so a one-use token joins
 * exactly one host however many joins race, and a join that fails takes none.
 */
@ApplicationScoped
public class JoinTokenService {
    private static final Logger LOG = Logger.getLogger(JoinTokenService.class);
    private static final String PREFIX = "atj_";
    /** Expired tokens stay listed (and named as expired at a join) this long, then go at the next creation. */
    private static final Duration KEEP_EXPIRED = Duration.ofDays(1);

    @Inject
    EntityManager em;

    @Transactional
    public IssuedJoinToken create(String createdBy, JoinTokenRequest request) {
        Instant now = Instant.now();
        em.createQuery("delete from JoinTokenEntity t where t.expiresAt < :before").setParameter("before", now.minus(KEEP_EXPIRED)).executeUpdate();
        String token = PREFIX + Passwords.randomSecret(32);
        JoinTokenEntity entity = new JoinTokenEntity(Passwords.tokenHash(token), createdBy,
                now.plus(request.expiresInMinutes(), ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS), request.uses());
        em.persist(entity);
        LOG.infof("join token %s: created by %s for %d host(s) until %s", entity.getUuid(), createdBy, request.uses(), entity.getExpiresAt());
        return new IssuedJoinToken(entity.getUuid(), token, entity.getExpiresAt(), entity.getUsesLeft());
    }

    @Transactional
    public List<JoinToken> list() {
        Instant now = Instant.now();
        return em.createQuery("select t from JoinTokenEntity t order by t.createdAt, t.uuid", JoinTokenEntity.class).getResultStream()
                .map(t -> t.view(now)).toList();
    }

    @Transactional
    public void revoke(UUID id) {
        JoinTokenEntity token = em.find(JoinTokenEntity.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (token == null) {
            throw new MasterException(MasterErrorCode.JOIN_TOKEN_NOT_FOUND, "join-token " + id, "there is no join token " + id
                    + " (atoll pool join-token list shows them)");
        }
        em.remove(token);
        LOG.infof("join token %s: revoked (%d use(s) were left)", id, token.getUsesLeft());
    }

    /** The id of the join token presented, or {@code JOIN_TOKEN_INVALID} when no such token exists. */
    @Transactional
    public UUID identify(String token) {
        List<UUID> found = token == null || !token.startsWith(PREFIX) || token.length() > 128 ? List.of()
                : em.createQuery("select t.uuid from JoinTokenEntity t where t.tokenHash = :hash", UUID.class)
                        .setParameter("hash", Passwords.tokenHash(token)).getResultList();
        if (found.isEmpty()) {
            throw new MasterException(MasterErrorCode.JOIN_TOKEN_INVALID, null, "the join token is unknown or was revoked: "
                    + "a pool-admin creates one with atoll pool join-token create (POST /api/v1/pool/join-tokens)");
        }
        return found.get(0);
    }

    /** Refuses a token that is revoked, expired or used up; takes nothing. */
    @Transactional
    public void checkUsable(UUID id) {
        refuseUnusable(em.find(JoinTokenEntity.class, id), id);
    }

    /**
     * Takes one use of the token, in the caller's transaction and under the row's lock (held to its
     * commit), after checking again that it is usable; answers the uses left.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public int takeUse(UUID id) {
        JoinTokenEntity token = em.find(JoinTokenEntity.class, id, LockModeType.PESSIMISTIC_WRITE);
        refuseUnusable(token, id);
        token.takeUse();
        return token.getUsesLeft();
    }

    private static void refuseUnusable(JoinTokenEntity token, UUID id) {
        if (token == null) {
            throw new MasterException(MasterErrorCode.JOIN_TOKEN_INVALID, "join-token " + id, "join token " + id + " was revoked");
        }
        String why = token.whyUnusable(Instant.now());
        if (why != null) {
            throw new MasterException(MasterErrorCode.JOIN_TOKEN_INVALID, "join-token " + id, why);
        }
    }
}
