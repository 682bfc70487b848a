package io.atoll.master.ha;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.util.UUID;

/** A VM's HA policy (no row: {@code none}). */
@Entity
@Table(name = "vm_ha")
public class VmHaEntity {
    @Id
    private UUID vmUuid;
    @Column(name = "restart_priority")
    private String restartPriority;
    private int restartOrder;
    @Column(name = "start_delay_s")
    private int startDelayS;
    private boolean restartPending;
    @Version
    private long version;

    protected VmHaEntity() {
    }

    VmHaEntity(UUID vmUuid) {
        this.vmUuid = vmUuid;
        this.restartPriority = RestartPriority.NONE.wireName();
    }

    void set(RestartPriority priority, int order, int startDelaySeconds) {
        this.restartPriority = priority.wireName();
        this.restartOrder = order;
        this.startDelayS = startDelaySeconds;
    }

    void pending(boolean pending) {
        this.restartPending = pending;
    }

    public UUID getVmUuid() {
        return vmUuid;
    }

    public RestartPriority getRestartPriority() {
        return RestartPriority.fromWire(restartPriority);
    }

    public int getRestartOrder() {
        return restartOrder;
    }

    public int getStartDelaySeconds() {
        return startDelayS;
    }

    public boolean isRestartPending() {
        return restartPending;
    }

    VmHa view() {
        return new VmHa(vmUuid, getRestartPriority(), restartOrder, startDelayS, restartPending);
    }
}
