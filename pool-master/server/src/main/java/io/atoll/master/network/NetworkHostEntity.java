package io.atoll.master.network;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.UUID;

/**
 * A network on a host: its DHCP slice there (PRIVATE), its PIF there when the host names its own
 * (EXTERNAL, VLAN), and whether it is realised. Rows go with the network or the host (foreign keys
 * with {@code on delete cascade}).
 */
@Entity
@Table(name = "network_host")
public class NetworkHostEntity {

    /** The key: network and host. */
    @Embeddable
    public record Key(@Column(name = "network_uuid") UUID network, @Column(name = "host_uuid") UUID host) implements Serializable {
    }

    @EmbeddedId
    private Key key;
    private Integer slice;
    private String pif;
    private boolean realised;
    private String reason;

    protected NetworkHostEntity() {
    }

    NetworkHostEntity(UUID network, UUID host) {
        this.key = new Key(network, host);
    }

    public UUID getHost() {
        return key.host();
    }

    public UUID getNetwork() {
        return key.network();
    }

    Integer getSlice() {
        return slice;
    }

    void setSlice(Integer slice) {
        this.slice = slice;
    }

    String getPif() {
        return pif;
    }

    void setPif(String pif) {
        this.pif = pif;
    }

    boolean isRealised() {
        return realised;
    }

    /** The outcome of realising it there: {@code reason} null when it worked. */
    void realised(boolean done, String why) {
        this.realised = done;
        this.reason = why == null ? null : why.length() > 2000 ? why.substring(0, 2000) + "…" : why;
    }

    String getReason() {
        return reason;
    }
}
