package io.atoll.storage.iscsi;

import java.util.Objects;

/**
 * The CHAP account initiators log in with. {@link #toString()} hides the password; the password
 * goes to QEMU only as a secret object and to the target manager only as a hidden argument.
 *
 * @param user the CHAP user name
 * @param password the CHAP secret
 */
public record Chap(String user, String password) {
    public Chap {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
    }

    @Override
    public String toString() {
        return "Chap[" + user + ", ***]";
    }
}
