package io.atoll.master.ha;

import io.atoll.ha.HostLiveness;
import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.vm.Vm;
import io.atoll.master.vm.VmService;
import io.atoll.node.api.HaStatus;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * HA: the pool's settings and state ({@code /api/v1/pool/ha}), the master instances, the VMs'
 * restart policies ({@code /api/v1/vms/{uuid}/ha}) and the alerts HA decisions raise.
 */
@Path("/api/v1/pool/ha")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "ha")
public class HaResource {

    @Inject
    HaService ha;

    @Inject
    HaMonitor monitor;

    @Inject
    MasterRole role;

    @Inject
    Alerts alerts;

    @Inject
    VmService vms;

    /** The master instance answering, and the active one. */
    public record MasterState(String instance, boolean clustered, boolean active, long epoch, String activeUrl) {
    }

    /** A host as HA judges it now (state null while HA is off or on a standby). */
    public record HostHa(UUID uuid, String name, String state, boolean inView, Long absentFromViewMs, Long statefileStaleMs,
                         boolean declaredDead, Boolean haRunning, Boolean fenced, String fenceReason, Long epochSeen) {
    }

    /** A protected VM. */
    public record ProtectedVm(UUID uuid, String name, String restartPriority, int restartOrder, int startDelaySeconds, boolean restartPending,
                              String powerState, UUID residentOn) {
    }

    public record PoolHaStatus(boolean enabled, long timeoutSeconds, UUID statefileSr, int hostFailuresToTolerate, int maxTolerable,
                               boolean overcommitted, MasterState master, List<HostHa> hosts, List<ProtectedVm> protectedVms,
                               List<Alert> alerts) {
    }


    @GET
        @Operation(summary = "The pool's HA settings, the plan, each host's liveness, the protected VMs and the latest alerts")
    public PoolHaStatus status() {
        return status(ha.settings());
    }

    @PUT
        @MinimumRole(Roles.POOL_ADMIN)
    @Operation(summary = "Enable, change or disable HA: {enabled, statefileSr, hostFailuresToTolerate}")
    public PoolHaStatus configure(HaService.PoolHaRequest request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, "pool", "give {\"enabled\": true, \"statefileSr\": \"SR\", "
                    + "\"hostFailuresToTolerate\": N}");
        }
        return status(ha.configure(request));
    }





    private PoolHaStatus status(HaService.Settings s) {
        List<HaPlan.HostLoad> loads = ha.loads();
        int max = HaPlan.maxTolerable(loads);
        Map<UUID, HostLiveness.Assessment> judged = monitor.assessments();
        Map<UUID, HaStatus> reported = monitor.hostStatuses();
        java.util.Set<UUID> dead = monitor.handledHosts();
        List<HostHa> hosts = new ArrayList<>();
        for (HaService.HostEntry h : ha.hosts(s)) {
            HostLiveness.Assessment a = s.enabled() ? judged.get(h.uuid()) : null;
            HaStatus st = reported.get(h.uuid());
            hosts.add(new HostHa(h.uuid(), h.name(), a == null ? null : a.state().name().toLowerCase(), a != null && a.inView(),
                    a == null ? null : a.absentFromViewFor().toMillis(), a == null ? null : a.statefileStaleFor().toMillis(), dead.contains(h.uuid()),
                    st == null ? null : st.enabled(), st == null ? null : st.fenced(), st == null ? null : st.fenceReason(),
                    st == null ? null : st.epochSeen()));
        }
        List<ProtectedVm> protectedVms = new ArrayList<>();
        for (VmHa v : ha.protectedVms()) {
            Vm vm = vms.get(v.vm());
            protectedVms.add(new ProtectedVm(v.vm(), vm.name(), v.restartPriority().wireName(), v.restartOrder(), v.startDelaySeconds(),
                    v.restartPending(), vm.powerState().name(), vm.residentOn()));
        }
        MasterState master = new MasterState(role.instance(), role.clustered(), role.isActive(), role.epoch(),
                role.isActive() ? role.publicUrl() : role.activeMasterUrl().orElse(null));
        return new PoolHaStatus(s.enabled(), role.timings().timeout().toSeconds(), s.statefileSr(), s.hostFailuresToTolerate(), max,
                s.enabled() && max < s.hostFailuresToTolerate(), master, hosts, protectedVms, alerts.list(null, 20));
    }
}
