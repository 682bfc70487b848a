package io.atoll.master.auth;

import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import jakarta.ws.rs.core.SecurityContext;

/** The caller {@link AccessFilter} authenticated, as resources read it from {@code @Context SecurityContext}. */
public final class Callers {
    private Callers() {
    }

    public static Caller of(SecurityContext context) {
        if (context != null && context.getUserPrincipal() instanceof Caller caller) {
            return caller;
        }
        throw new MasterException(MasterErrorCode.UNAUTHORIZED, null, "this request carries no valid bearer token");
    }
}
