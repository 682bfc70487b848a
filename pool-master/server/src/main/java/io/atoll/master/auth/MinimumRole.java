package io.atoll.master.auth;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The lowest of {@link Roles} allowed to call a resource method (on the method, or on the class for
 * all its methods; the method's wins). Callers of that role or any role above it pass
 * ({@link Roles#atLeast}). A resource method under neither this nor {@link Anonymous} needs
 * pool-admin: forgetting the annotation fails closed.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface MinimumRole {
    /** One of the {@link Roles} constants. */
    String value();
}
