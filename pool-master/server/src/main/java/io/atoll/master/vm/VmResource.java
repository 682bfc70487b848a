package io.atoll.master.vm;

import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.error.Params;
import io.atoll.master.task.Task;
import io.atoll.node.api.ShutdownRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The pool's VMs. Creation and reads answer at once; every operation answers 202 with its task
 * ({@code Location: /api/v1/tasks/UUID}) and runs on a worker. A second operation on a VM while one
 * runs is refused with 409 OTHER_OPERATION_IN_PROGRESS naming the one in progress.
 */
@Path("/api/v1/vms")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "vms")
public class VmResource {

    @Inject
    VmService vms;

    @Inject
    VmVifs vifs;

    /** The largest page of {@code GET /api/v1/vms?limit=}. */
    static final int MAX_PAGE = 1000;

    @POST
    @Operation(summary = "Create a VM (halted, in the pool database only)")
    @MinimumRole(Roles.VM_ADMIN)
    public Response create(VmCreateRequest request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be a VM spec (JSON)");
        }
        Vm vm = vms.create(request);
        return Response.created(URI.create("/api/v1/vms/" + vm.uuid())).entity(vm).build();
    }

    /** The body of snapshot and clone. */
    public record NameRequest(String name, Boolean full) {
    }

    /** The body of revert. */
    public record RevertRequest(UUID snapshot) {
    }

    @GET
    @Operation(summary = "VMs, templates and snapshots", description = "?kind=vm|template|snapshot filters. By name; ?limit=N (1-1000)"
            + " answers one page (by name, then uuid), ?after=NAME the page after that name (&afterUuid=UUID: after that VM of the name);"
            + " a full page carries a Link header (rel=\"next\") to the next.")
    @org.eclipse.microprofile.openapi.annotations.responses.APIResponse(responseCode = "200", content = @org.eclipse.microprofile.openapi.annotations.media.Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = Vm.class,
            type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.ARRAY)))
    public Response list(@QueryParam("kind") String kind, @QueryParam("limit") String limit, @QueryParam("after") String after,
                         @QueryParam("afterUuid") String afterUuid) {
        VmKind k;
        try {
            k = kind == null ? null : VmKind.fromWire(kind);
        } catch (IllegalArgumentException e) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "query parameter 'kind': " + e.getMessage());
        }
        if (limit == null) {
            if (after != null) {
                throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "query parameter 'after' pages the list: give 'limit' too"
                        + " (1 to " + MAX_PAGE + ")");
            }
            return Response.ok(vms.listJson(k), MediaType.APPLICATION_JSON_TYPE).build();
        }
        int n;
        try {
            n = Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > MAX_PAGE) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "query parameter 'limit' is '" + limit + "': give 1 to " + MAX_PAGE);
        }
        if (afterUuid != null && after == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "query parameter 'afterUuid' goes with 'after' (the name of the"
                    + " last VM of the previous page): give both, as the Link header of a page does");
        }
        UUID afterId = null;
        if (afterUuid != null) {
            try {
                afterId = UUID.fromString(afterUuid);
            } catch (IllegalArgumentException e) {
                throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "query parameter 'afterUuid' is '" + afterUuid
                        + "', not a uuid: give the uuid of the last VM of the previous page, as its Link header does");
            }
        }
        List<Vm> page = vms.page(k, after, afterId, n);
        Response.ResponseBuilder answer = Response.ok(page, MediaType.APPLICATION_JSON_TYPE);
        if (page.size() == n) {
            Vm last = page.get(n - 1);
            String next = "/api/v1/vms?limit=" + n + (kind == null ? "" : "&kind=" + kind) + "&after="
                    + java.net.URLEncoder.encode(last.name(), java.nio.charset.StandardCharsets.UTF_8) + "&afterUuid=" + last.uuid();
            answer.header("Link", "<" + next + ">; rel=\"next\"");
        }
        return answer.build();
    }

    @GET
    @Path("/{uuid}")
    public Vm get(@PathParam("uuid") String uuid) {
        return vms.get(parse(uuid));
    }

    @DELETE
    @Path("/{uuid}")
    @Operation(summary = "Destroy a halted VM, a template or a snapshot", description = "?deleteDisks=true also destroys its virtual "
            + "disks that no other VM, snapshot or template uses; without it they stay. Image files always stay.")
    @MinimumRole(Roles.VM_ADMIN)
    public Response destroy(@PathParam("uuid") String uuid, @QueryParam("deleteDisks") String deleteDisks) {
        boolean delete = deleteDisks != null && Params.bool("deleteDisks", deleteDisks);
        return accepted(vms.request(parse(uuid), new VmAction.Destroy(delete)));
    }

    /** The body of a migration: all optional. */
    public record MigrateRequest(UUID host, Long bandwidthMiBps, Long downtimeLimitMs, Long maxDowntimeMs, UUID sr) {
    }

    @POST
    @Path("/{uuid}/migrate")
    @Operation(summary = "Live-migrate a running VM to another host", description = "Body (optional): {\"host\": UUID, \"bandwidthMiBps\", "
            + "\"downtimeLimitMs\", \"maxDowntimeMs\", \"sr\": UUID}; without a host placement picks one. Both hosts must see the VM's disks, "
            + "or with sr every disk moves into that repository (a storage migration). The task's "
            + "progress follows the memory sent; on failure or cancel the VM runs on where it was.")
    @MinimumRole(Roles.VM_POWER_ADMIN)
    public Response migrate(@PathParam("uuid") String uuid, MigrateRequest body) {
        MigrateRequest r = body == null ? new MigrateRequest(null, null, null, null, null) : body;
        return accepted(vms.request(parse(uuid), new VmAction.Migrate(r.host(), r.bandwidthMiBps(), r.downtimeLimitMs(), r.maxDowntimeMs(),
                r.sr())));
    }

    @POST
    @Path("/{uuid}/migrate/cancel")
    @Operation(summary = "Cancel a VM's migration in progress", description = "202; its task fails with MIGRATION_CANCELLED and the VM runs on its source.")
    @MinimumRole(Roles.VM_POWER_ADMIN)
    public Response cancelMigration(@PathParam("uuid") String uuid) {
        vms.cancelMigration(parse(uuid));
        return Response.accepted().build();
    }

    @POST
    @Path("/{uuid}/snapshot")
    @Operation(summary = "Snapshot a VM", description = "Body {\"name\"}. Every writable disk is snapshotted (live when the VM runs); "
            + "the task's result is the snapshot, a VM of kind snapshot.")
    @MinimumRole(Roles.VM_POWER_ADMIN)
    public Response snapshot(@PathParam("uuid") String uuid, NameRequest body) {
        return accepted(vms.request(parse(uuid), new VmAction.Snapshot(name(body))));
    }

    @POST
    @Path("/{uuid}/clone")
    @Operation(summary = "Clone a halted VM, a template or a snapshot into a new VM", description = "Body {\"name\", \"full\": false}. "
            + "Linked clones of the disks (full copies with full=true); the task's result is the new VM.")
    @MinimumRole(Roles.VM_ADMIN)
    public Response clone(@PathParam("uuid") String uuid, NameRequest body) {
        return accepted(vms.request(parse(uuid), new VmAction.Clone(name(body), body.full() != null && body.full())));
    }

    @POST
    @Path("/{uuid}/revert")
    @Operation(summary = "Revert a halted VM to one of its snapshots", description = "Body {\"snapshot\": UUID}. Its disks and hardware "
            + "come back to the snapshot's; what was written since is lost.")
    @MinimumRole(Roles.VM_POWER_ADMIN)
    public Response revert(@PathParam("uuid") String uuid, RevertRequest body) {
        if (body == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"snapshot\": UUID}");
        }
        return accepted(vms.request(parse(uuid), new VmAction.Revert(body.snapshot())));
    }

    @POST
    @Path("/{uuid}/template")
    @Operation(summary = "Make a halted VM a template", description = "From then on it is only cloned or destroyed.")
    @MinimumRole(Roles.VM_ADMIN)
    public Vm convertToTemplate(@PathParam("uuid") String uuid) {
        return vms.convertToTemplate(parse(uuid));
    }

    private static String name(NameRequest body) {
        if (body == null || body.name() == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"name\": …}");
        }
        return body.name();
    }

    @POST
    @Path("/{uuid}/start")
    @Operation(summary = "Start a halted VM", description = "Body (optional): {\"host\": UUID}; without it placement picks a host.")
    @MinimumRole(Roles.VM_OPERATOR)
    public Response start(@PathParam("uuid") String uuid, VmStartRequest request) {
        return accepted(vms.request(parse(uuid), new VmAction.Start(request == null ? null : request.host())));
    }

    @POST
    @Path("/{uuid}/shutdown")
    @Operation(summary = "Shut a VM down", description = "Body (optional): {\"force\": false, \"timeoutSeconds\": 60}. Clean: the ACPI "
            + "power button, hard after the timeout. Force: at once.")
    @MinimumRole(Roles.VM_OPERATOR)
    public Response shutdown(@PathParam("uuid") String uuid, ShutdownRequest request) {
        ShutdownRequest r = request == null ? new ShutdownRequest(false, null) : request;
        return accepted(vms.request(parse(uuid), new VmAction.Shutdown(r.force(), r.timeoutSeconds())));
    }

    @POST
    @Path("/{uuid}/reboot")
    @Operation(summary = "Reboot a VM", description = "Body (optional): {\"force\": false}. Clean: shutdown and start; force: a reset.")
    @MinimumRole(Roles.VM_OPERATOR)
    public Response reboot(@PathParam("uuid") String uuid, ShutdownRequest request) {
        ShutdownRequest r = request == null ? new ShutdownRequest(false, null) : request;
        return accepted(vms.request(parse(uuid), new VmAction.Reboot(r.force(), r.timeoutSeconds())));
    }

    @POST
    @Path("/{uuid}/pause")
    @MinimumRole(Roles.VM_OPERATOR)
    public Response pause(@PathParam("uuid") String uuid) {
        return accepted(vms.request(parse(uuid), new VmAction.Pause()));
    }

    @POST
    @Path("/{uuid}/unpause")
    @MinimumRole(Roles.VM_OPERATOR)
    public Response unpause(@PathParam("uuid") String uuid) {
        return accepted(vms.request(parse(uuid), new VmAction.Unpause()));
    }

    @POST
    @Path("/{uuid}/suspend")
    @MinimumRole(Roles.VM_OPERATOR)
    public Response suspend(@PathParam("uuid") String uuid) {
        return accepted(vms.request(parse(uuid), new VmAction.Suspend()));
    }

    @POST
    @Path("/{uuid}/resume")
    @MinimumRole(Roles.VM_OPERATOR)
    public Response resume(@PathParam("uuid") String uuid) {
        return accepted(vms.request(parse(uuid), new VmAction.Resume()));
    }

    @POST
    @Path("/{uuid}/vifs")
    @Operation(summary = "Plug a VIF into a VM", description = "Body {\"network\": UUID or name, \"id\"?, \"mac\"?, \"rateKbit\"?, \"model\"?}. "
            + "A task: on a running or paused VM the network is realised on its host and the NIC hot-plugged; on a halted one it is "
            + "recorded for the next start. The MAC is chosen once and kept.")
    @MinimumRole(Roles.VM_ADMIN)
    public Response plugVif(@PathParam("uuid") String uuid, VmNicRequest body) {
        if (body == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"network\": UUID or name, …}");
        }
        UUID vm = parse(uuid);
        return accepted(vms.request(vm, new VmAction.PlugVif(vifs.prepare(vm, body))));
    }

    @DELETE
    @Path("/{uuid}/vifs/{id}")
    @Operation(summary = "Unplug a VIF from a VM", description = "A task: hot-unplugged from a running or paused VM (the guest is asked to "
            + "release it), removed from the pool database.")
    @MinimumRole(Roles.VM_ADMIN)
    public Response unplugVif(@PathParam("uuid") String uuid, @PathParam("id") String id) {
        UUID vm = parse(uuid);
        vifs.checkUnplug(vm, id);
        return accepted(vms.request(vm, new VmAction.UnplugVif(id)));
    }

    private static Response accepted(Task task) {
        return Response.accepted(task).location(URI.create("/api/v1/tasks/" + task.uuid())).build();
    }

    private static UUID parse(String uuid) {
        return Params.uuid(uuid, MasterErrorCode.VM_NOT_FOUND, "vm");
    }
}
