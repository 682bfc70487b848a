package io.atoll.master.auth.audit;

import java.time.Instant;

/**
 * One write through the API.
 *
 * @param id increasing; page with {@code GET /api/v1/audit?after=ID}
 * @param username the caller, the name tried at a login, or null when nobody was authenticated
 * @param role the caller's role at the time
 * @param method the HTTP method
 * @param path the request path (ids, never secrets: tokens travel in headers and bodies only)
 * @param object what the write was about, e.g. {@code vm 3f2a…}
 * @param status the HTTP status answered
 * @param errorCode the error's code when it failed ({@code FORBIDDEN}, {@code VM_NOT_FOUND}…)
 */
public record AuditRecord(Long id, Instant at, String username, String role, String method, String path, String object, int status,
        String errorCode) {
}
