package io.atoll.master.network;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.util.UUID;

/**
 * A network (XAPI's network): a Linux bridge of the same name on each host that carries it. VMs
 * connect through {@link io.atoll.master.vm.VifEntity VIFs}. Networks are pool objects with an API
 * ({@link NetworkResource}); realising them on hosts (bridges, tunnels, DHCP) and plugging VIFs
 * into them is the networking issue's (docs/networking.md when it lands).
 */
@Entity
@Table(name = "network")
public class NetworkEntity {
    @Id
    private UUID uuid;
    private String name;
    private String description;
    private String bridge;
    private int mtu;
    @Version
    private long version;

    protected NetworkEntity() {
    }

    public NetworkEntity(String name, String bridge, int mtu) {
        if (bridge == null || !bridge.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new IllegalArgumentException("network " + name + ": bridge '" + bridge + "' is not a Linux interface name (1-15 characters)");
        }
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("network " + name + ": MTU " + mtu + " is out of range (68-65535)");
        }
        this.uuid = UUID.randomUUID();
        this.name = name;
        this.description = "";
        this.bridge = bridge;
        this.mtu = mtu;
    }

    public Network view() {
        return new Network(uuid, name, description, bridge, mtu);
    }

    public UUID getUuid() {
        return uuid;
    }

    public String getName() {
        return name;
    }

    public String getBridge() {
        return bridge;
    }

    public int getMtu() {
        return mtu;
    }
}
