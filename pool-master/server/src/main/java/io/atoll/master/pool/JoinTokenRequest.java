package io.atoll.master.pool;

/**
 * The body of {@code POST /api/v1/pool/join-tokens}; both fields may be left out.
 *
 * @param expiresInMinutes the token's lifetime, 1 to {@value #MAX_MINUTES} (7 days); default {@value #DEFAULT_MINUTES}
 * @param uses how many hosts it may join, 1 to {@value #MAX_USES}; default 1
 */
public record JoinTokenRequest(Integer expiresInMinutes, Integer uses) {
    public static final int DEFAULT_MINUTES = 60;
    public static final int MAX_MINUTES = 7 * 24 * 60;
    public static final int MAX_USES = 1000;

    public JoinTokenRequest {
        if (expiresInMinutes == null) {
            expiresInMinutes = DEFAULT_MINUTES;
        }
        if (uses == null) {
            uses = 1;
        }
        if (expiresInMinutes < 1 || expiresInMinutes > MAX_MINUTES) {
            throw new IllegalArgumentException("expiresInMinutes is " + expiresInMinutes + ": give 1 to " + MAX_MINUTES
                    + " (7 days; a join token is meant to be used soon after it is made)");
        }
        if (uses < 1 || uses > MAX_USES) {
            throw new IllegalArgumentException("uses is " + uses + ": give 1 to " + MAX_USES);
        }
    }

    /** The defaults: one host, within an hour. */
    public static JoinTokenRequest defaults() {
        return new JoinTokenRequest(null, null);
    }
}
