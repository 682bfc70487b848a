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

    protected VifEntity() {
    }

    VifEntity(VmEntity vm, int position, NicSpec nic) {
        this.uuid = UUID.randomUUID();
        this.vm = vm;
        this.position = position;
        this.deviceId = nic.id();
        this.mac = nic.mac();
        this.mode = nic.mode();
        this.ifname = nic.ifname();
        this.model = nic.model();
    }

    /** A copy of {@code from} for another VM; a clone gets a MAC of its own (derived from its uuid by the host). */
    VifEntity(VmEntity vm, VifEntity from, boolean keepMac) {
        this.uuid = UUID.randomUUID();
        this.vm = vm;
        this.position = from.position;
        this.deviceId = from.deviceId;
        this.network = from.network;
        this.mac = keepMac ? from.mac : null;
        this.mode = from.mode;
        this.ifname = from.ifname;
        this.model = from.model;
    }

    Vm.Nic view() {
        return new Vm.Nic(deviceId, mac, mode, ifname, model, network == null ? null : network.getUuid());
    }

    NicSpec spec() {
        return new NicSpec(deviceId, mac, mode, ifname, model);
    }

    public UUID getUuid() {
        return uuid;
    }
}
