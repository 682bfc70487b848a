package io.atoll.master.network;

import java.util.UUID;

/**
 * A network as clients see it.
 *
 * @param uuid its id
 * @param name unique in the pool
 * @param description free text
 * @param bridge the Linux bridge that carries it on each host
 * @param mtu its MTU
 */
public record Network(UUID uuid, String name, String description, String bridge, int mtu) {
}
