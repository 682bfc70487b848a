package io.atoll.master.auth;

/** A session token comes from a login and expires; an API token is created for a script and lives until revoked (or its own expiry). */
public enum TokenKind { SESSION, API }
