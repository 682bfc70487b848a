package io.atoll.master.auth;

import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Users, logins and tokens. A token is {@code atl_} + 256 random bits, handed out once; the
 * database keeps its SHA-256, so a stolen database yields no usable token. Every request looks
 * its token up ({@link #authenticate}) and reads the user's current role with it.
 */
@ApplicationScoped
public class AuthService {
    private static final Logger LOG = Logger.getLogger(AuthService.class);
    private static final String PREFIX = "atl_";

    @Inject
    EntityManager em;

    @Inject
    AuthConfig config;

    /** Spent on a login for an unknown user, so its timing does not tell which names exist. */
    private volatile String decoyHash;

    /** The caller a bearer token stands for, or empty when it is unknown or expired. */
    @Transactional
    public Optional<Caller> authenticate(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 128) {
            return Optional.empty();
        }
        List<Object[]> rows = em.createQuery("select t, u from TokenEntity t, UserEntity u where t.tokenHash = :hash and u.uuid = t.userUuid",
                Object[].class).setParameter("hash", Passwords.tokenHash(token)).getResultList();
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        TokenEntity t = (TokenEntity) rows.get(0)[0];
        UserEntity u = (UserEntity) rows.get(0)[1];
        if (t.getExpiresAt() != null && !t.getExpiresAt().isAfter(Instant.now())) {
            return Optional.empty();
        }
        return Optional.of(new Caller(u.getUuid(), u.getUsername(), u.getRole(), t.getUuid(), t.getKind()));
    }

    /** A session token for the user, or 401 for a wrong name or password (the same answer for both). */
    @Transactional
    public IssuedToken login(String username, String password) {
        UserEntity user = byName(username);
        boolean ok;
        if (user != null) {
            ok = Passwords.verify(password.toCharArray(), user.getPasswordHash());
        } else {
            Passwords.verify(password.toCharArray(), decoy());
            ok = false;
        }
        if (!ok) {
            LOG.infof("login of '%s' refused: wrong user name or password", username);
            throw new MasterException(MasterErrorCode.UNAUTHORIZED, null, "wrong user name or password");
        }
        em.createQuery("delete from TokenEntity t where t.expiresAt <= :now").setParameter("now", Instant.now()).executeUpdate();
        Instant expires = Instant.now().plus(config.sessionTimeout());
        IssuedToken issued = issue(user, TokenKind.SESSION, null, expires);
        LOG.infof("user %s (%s): logged in, session %s until %s", user.getUsername(), user.getRole(), issued.id(), expires);
        return issued;
    }

    /** Ends the token the caller used (a session at logout, or an API token that revokes itself). */
    @Transactional
    public void logout(Caller caller) {
        em.createQuery("delete from TokenEntity t where t.uuid = :uuid").setParameter("uuid", caller.token()).executeUpdate();
        LOG.infof("user %s: logged out (token %s)", caller.username(), caller.token());
    }

    @Transactional
    public IssuedToken createApiToken(Caller caller, Requests.CreateToken request) {
        UserEntity user = user(caller.user());
        Instant expires = request.expiresInDays() == null ? null : Instant.now().plus(request.expiresInDays(), ChronoUnit.DAYS);
        IssuedToken issued = issue(user, TokenKind.API, request.name(), expires);
        LOG.infof("user %s: API token %s '%s' created", user.getUsername(), issued.id(), request.name());
        return issued;
    }

    /** Issues an API token without any request: for the first admin's tools and the tests. */
    @Transactional
    public IssuedToken createApiToken(UUID user, String name) {
        return issue(user(user), TokenKind.API, name, null);
    }

    @Transactional
    public List<ApiToken> apiTokens(Caller caller) {
        return em.createQuery("select t from TokenEntity t where t.userUuid = :user and t.kind = :kind order by t.createdAt", TokenEntity.class)
                .setParameter("user", caller.user()).setParameter("kind", TokenKind.API).getResultStream().map(TokenEntity::view).toList();
    }

    /** Revokes one of the caller's own API tokens; another user's is "not found". */
    @Transactional
    public void revokeApiToken(Caller caller, UUID id) {
        TokenEntity token = em.find(TokenEntity.class, id);
        if (token == null || !token.getUserUuid().equals(caller.user()) || token.getKind() != TokenKind.API) {
            throw new MasterException(MasterErrorCode.TOKEN_NOT_FOUND, "token " + id, "you have no API token " + id);
        }
        em.remove(token);
        LOG.infof("user %s: API token %s revoked", caller.username(), id);
    }

    @Transactional
    public boolean anyUser() {
        return !em.createQuery("select u.uuid from UserEntity u", UUID.class).setMaxResults(1).getResultList().isEmpty();
    }

    @Transactional
    public User createUser(Requests.CreateUser request) {
        checkPassword(request.password());
        if (byName(request.username()) != null) {
            throw new MasterException(MasterErrorCode.USER_NAME_TAKEN, "user " + request.username(), "a user named '" + request.username() + "' exists");
        }
        UserEntity user = new UserEntity(request.username(), Passwords.hash(request.password().toCharArray(), config.passwordIterations()),
                request.role());
        em.persist(user);
        em.flush(); // a concurrent create of the same name fails here, on the unique constraint
        LOG.infof("user %s: created with role %s", user.getUsername(), user.getRole());
        return user.view();
    }

    @Transactional
    public List<User> users() {
        return em.createQuery("select u from UserEntity u order by u.username", UserEntity.class).getResultStream().map(UserEntity::view).toList();
    }

    @Transactional
    public User get(UUID uuid) {
        return user(uuid).view();
    }

    /** Deletes a user and every token of theirs; the last pool-admin stays. */
    @Transactional
    public void deleteUser(UUID uuid) {
        UserEntity user = user(uuid);
        keepOnePoolAdmin(user, "deleted");
        em.createQuery("delete from TokenEntity t where t.userUuid = :user").setParameter("user", uuid).executeUpdate();
        em.remove(user);
        LOG.infof("user %s: deleted", user.getUsername());
    }

    /** Sets a new password and ends the user's sessions (API tokens stay: scripts are not logged out by a password change). */
    @Transactional
    public User setPassword(UUID uuid, String password) {
        checkPassword(password);
        UserEntity user = user(uuid);
        user.setPasswordHash(Passwords.hash(password.toCharArray(), config.passwordIterations()));
        em.createQuery("delete from TokenEntity t where t.userUuid = :user and t.kind = :kind").setParameter("user", uuid)
                .setParameter("kind", TokenKind.SESSION).executeUpdate();
        LOG.infof("user %s: password changed, sessions ended", user.getUsername());
        return user.view();
    }

    /** Changes the role; it applies to the user's next request (roles are read at each request). */
    @Transactional
    public User setRole(UUID uuid, String role) {
        UserEntity user = user(uuid);
        if (!role.equals(user.getRole())) {
            keepOnePoolAdmin(user, "given role " + role);
            LOG.infof("user %s: role %s -> %s", user.getUsername(), user.getRole(), role);
            user.setRole(role);
        }
        return user.view();
    }

    private void keepOnePoolAdmin(UserEntity user, String what) {
        if (!Roles.POOL_ADMIN.equals(user.getRole())) {
            return;
        }
        // Lock the pool-admins so that two concurrent demotions cannot both see another admin.
        List<UserEntity> admins = em.createQuery("select u from UserEntity u where u.role = :role", UserEntity.class)
                .setParameter("role", Roles.POOL_ADMIN).setLockMode(LockModeType.PESSIMISTIC_WRITE).getResultList();
        if (admins.size() <= 1) {
            throw new MasterException(MasterErrorCode.LAST_POOL_ADMIN, "user " + user.getUsername(), "user '" + user.getUsername()
                    + "' is the only pool-admin and cannot be " + what + ": make another user pool-admin first");
        }
    }

    private IssuedToken issue(UserEntity user, TokenKind kind, String name, Instant expires) {
        String token = PREFIX + Passwords.randomSecret(32);
        TokenEntity entity = new TokenEntity(user.getUuid(), kind, name, Passwords.tokenHash(token), expires);
        em.persist(entity);
        return new IssuedToken(entity.getUuid(), name, token, user.getUsername(), user.getRole(), expires);
    }

    private void checkPassword(String password) {
        if (password.length() < config.passwordMinLength()) {
            throw new MasterException(MasterErrorCode.INVALID_SPEC, null, "the password has " + password.length()
                    + " characters: give at least " + config.passwordMinLength());
        }
    }

    private UserEntity byName(String username) {
        return em.createQuery("select u from UserEntity u where u.username = :name", UserEntity.class).setParameter("name", username)
                .getResultStream().findFirst().orElse(null);
    }

    private UserEntity user(UUID uuid) {
        UserEntity user = em.find(UserEntity.class, uuid);
        if (user == null) {
            throw new MasterException(MasterErrorCode.USER_NOT_FOUND, "user " + uuid, "no user has the uuid " + uuid);
        }
        return user;
    }

    private String decoy() {
        if (decoyHash == null) {
            decoyHash = Passwords.hash(Passwords.randomSecret(16).toCharArray(), config.passwordIterations());
        }
        return decoyHash;
    }
}
