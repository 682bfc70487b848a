package io.atoll.node.api;

/**
 * Where a host waits for a VM migrating in.
 *
 * @param uri what the source migrates to ({@code tcp:ADDRESS:PORT})
 */
public record IncomingInfo(String uri) {
}
