package io.atoll.master.vm;

import io.atoll.master.network.NetworkEntity;
import io.atoll.node.api.NicSpec;
import io.atoll.node.api.NicSpec.NicMode;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A network interface of a VM (XAPI's VIF), optionally on a {@link NetworkEntity}. */
@Entity
@Table(name = "vif")
public class VifEntity {
    @Id
    private UUID uuid;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "vm_uuid")
    private VmEntity vm;
    private int position;
    private String deviceId;
    @ManyToOne(fetch = FetchType.LAZY)
    @JoinColumn(name = "network_uuid")
    private NetworkEntity network;
    private String mac;
    @Enumerated(EnumType.STRING)
    @JdbcTypeCode(SqlTypes.VARCHAR)
    private NicMode mode;
    private String ifname;
    private String model;
    private Integer rateKbit;
    /** The guest's address on this VIF, learnt from the hosts' DHCP leases ({@link io.atoll.master.network.GuestAddresses}). */
    private String ipv4;

    protected VifEntity() {
    }

    VifEntity(VmEntity vm, int position, NicSpec nic, NetworkEntity network) {
        this.uuid = UUID.randomUUID();
        this.network = network;
        this.rateKbit = nic.rateKbit();
        this.vm = vm;
        this.position = position;
        this.deviceId = nic.id();
        this.mac = nic.mac();
        this.mode = nic.mode();
        this.ifname = nic.ifname();
        this.model = nic.model();
    }

    /**
     * A copy of {@code from} for another VM; a clone gets a MAC of its own (a fresh one on a
     * network, else derived from its uuid by the host).
     */
    VifEntity(VmEntity vm, VifEntity from, boolean keepMac) {
        this.uuid = UUID.randomUUID();
        this.vm = vm;
        this.position = from.position;
        this.deviceId = from.deviceId;
        this.network = from.network;
        this.mac = keepMac ? from.mac : from.mode == NicMode.NETWORK ? io.atoll.master.network.Macs.random() : null;
        this.rateKbit = from.rateKbit;
        this.mode = from.mode;
        this.ifname = from.ifname;
        this.model = from.model;
    }

    Vm.Nic view() {
        return new Vm.Nic(deviceId, mac, mode, ifname, model, network == null ? null : network.getUuid(), rateKbit, ipv4);
    }

    NicSpec spec() {
        return new NicSpec(deviceId, mac, mode, ifname, model, mode == NicMode.NETWORK && network != null ? network.getUuid() : null,
                mode == NicMode.NETWORK ? rateKbit : null);
    }

    public String getDeviceId() {
        return deviceId;
    }

    public String getMac() {
        return mac;
    }

    public NicMode getMode() {
        return mode;
    }

    public VmEntity getVm() {
        return vm;
    }

    public String getIpv4() {
        return ipv4;
    }

    /** The guest's address as the hosts' leases say ({@code null}: none known); answers whether it changed. */
    public boolean learnt(String address) {
        if (java.util.Objects.equals(address, ipv4)) {
            return false;
        }
        ipv4 = address;
        return true;
    }

    int getPosition() {
        return position;
    }

    public UUID getUuid() {
        return uuid;
    }
}
