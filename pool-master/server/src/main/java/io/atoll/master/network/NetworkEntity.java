package io.atoll.master.network;

import io.atoll.node.api.NetworkSpec.NetworkType;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.util.List;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/**
 * A network (XAPI's network): a Linux bridge of the same name on each host that carries it, and
 * behind it a VXLAN overlay (PRIVATE, with the VNI and subnet the master allocated), a physical
 * interface (EXTERNAL) or a VLAN on one. VMs connect through {@link io.atoll.master.vm.VifEntity
 * VIFs}; {@link NetworkRealiser} makes it exist on a host before a VM needs it there.
 */
@Entity
@Table(name = "network")
public class NetworkEntity {
    @Id
    private UUID uuid;
    private String name;
    private String description;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private NetworkType type;
    private String bridge;
    private Integer mtu;
    private Integer vni;
    private String subnet;
    private boolean dhcp;
    private String pif;
    private Integer vlan;
    private Integer dstPort;
    @Version
    private long version;

    protected NetworkEntity() {
    }

    public NetworkEntity(NetworkCreateRequest request, String bridge, Integer vni, String subnet) {
        this.uuid = UUID.randomUUID();
        this.name = request.name();
        this.description = request.description() == null ? "" : request.description();
        this.type = request.type();
        this.bridge = bridge;
        this.mtu = request.mtu();
        this.vni = vni;
        this.subnet = subnet;
        this.dhcp = request.dhcp();
        this.pif = request.pif();
        this.vlan = request.vlan();
    }

    public Network view(List<Network.OnHost> hosts) {
        return new Network(uuid, name, description, type, bridge, mtu, vni, subnet, dhcp, pif, vlan, hosts);
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

    public Integer getMtu() {
        return mtu;
    }

    public NetworkType getType() {
        return type;
    }

    Integer getVni() {
        return vni;
    }

    String getSubnet() {
        return subnet;
    }

    boolean isDhcp() {
        return dhcp;
    }

    String getPif() {
        return pif;
    }

    Integer getVlan() {
        return vlan;
    }

    Integer getDstPort() {
        return dstPort;
    }

    /** How messages name it: {@code network 3f2a… (backend)}. */
    public String label() {
        return "network " + uuid + " (" + name + ")";
    }
}
