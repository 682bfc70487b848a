package io.atoll.master.vm;

import java.util.UUID;

/**
 * The optional body of {@code POST /api/v1/vms/{uuid}/start}.
 *
 * @param host the host to start on; omitted: placement picks an enabled, online host with the
 *     memory the VM needs
 */
public record VmStartRequest(UUID host) {
}
