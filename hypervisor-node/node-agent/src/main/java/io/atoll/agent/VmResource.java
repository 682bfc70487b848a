package io.atoll.agent;

import io.atoll.node.api.ShutdownRequest;
import io.atoll.node.api.VmInfo;
import io.atoll.node.api.VmSpec;
import io.atoll.vm.VmManager;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.UUID;

/**
 * The VMs of this host. Each operation returns when it has finished, with the VM as it is then;
 * refusals come back as {@link io.atoll.node.api.ApiError} with a code and what to do.
 */
@Path("/api/v1/vms")
@Produces(MediaType.APPLICATION_JSON)
public class VmResource {

    @Inject
    VmManager manager;

    @Inject
    io.atoll.agent.network.NetworkService networks;

    @GET
    public List<VmInfo> list() {
        return manager.list().stream().map(networks::withAddresses).toList();
    }

    /** Defines a VM on this host (halted). 201 with the VM. */
    @POST
    public Response create(VmSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("the request body must be a VM spec (JSON)");
        }
        VmInfo vm = manager.create(spec);
        return Response.status(Response.Status.CREATED).entity(vm).build();
    }

    @GET
    @Path("/{uuid}")
    public VmInfo get(@PathParam("uuid") UUID uuid) {
        return networks.withAddresses(manager.get(uuid));
    }

    /** Removes a halted, crashed or suspended VM and its state files; its disks stay. */
    @DELETE
    @Path("/{uuid}")
    public Response destroy(@PathParam("uuid") UUID uuid) {
        manager.destroy(uuid);
        return Response.noContent().build();
    }

    @POST
    @Path("/{uuid}/start")
    public VmInfo start(@PathParam("uuid") UUID uuid) {
        return manager.start(uuid);
    }

    /** Body (optional): {@code {"force": false, "timeoutSeconds": 60}}. */
    @POST
    @Path("/{uuid}/shutdown")
    public VmInfo shutdown(@PathParam("uuid") UUID uuid, ShutdownRequest request) {
        return manager.shutdown(uuid, request);
    }

    /** Body (optional): {@code {"force": true}} for a reset, else a clean shutdown and a start. */
    @POST
    @Path("/{uuid}/reboot")
    public VmInfo reboot(@PathParam("uuid") UUID uuid, ShutdownRequest request) {
        return manager.reboot(uuid, request);
    }

    @POST
    @Path("/{uuid}/pause")
    public VmInfo pause(@PathParam("uuid") UUID uuid) {
        return manager.pause(uuid);
    }

    @POST
    @Path("/{uuid}/unpause")
    public VmInfo unpause(@PathParam("uuid") UUID uuid) {
        return manager.unpause(uuid);
    }

    @POST
    @Path("/{uuid}/suspend")
    public VmInfo suspend(@PathParam("uuid") UUID uuid) {
        return manager.suspend(uuid);
    }

    @POST
    @Path("/{uuid}/resume")
    public VmInfo resume(@PathParam("uuid") UUID uuid) {
        return manager.resume(uuid);
    }

    /**
     * Waits for a VM migrating in from another host: QEMU starts paused and listens; the answer
     * says where. The VM runs here once its state has arrived; if the migration fails, nothing of
     * it stays here.
     */
    @POST
    @Path("/incoming")
    public io.atoll.node.api.IncomingInfo incoming(io.atoll.node.api.IncomingRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("the request body must be {\"spec\": VM spec, \"listenAddress\": address}");
        }
        return manager.receive(request);
    }

    /** Migrates the VM to a host waiting for it; returns when it runs there (or fails, the VM still here). */
    @POST
    @Path("/{uuid}/migrate")
    public VmInfo migrate(@PathParam("uuid") UUID uuid, io.atoll.node.api.MigrationRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("the request body must be a migration request with the target's uri");
        }
        return manager.migrate(uuid, request);
    }

    /** Progress of the VM's outgoing migration: bytes sent and remaining, dirty rate, expected downtime. */
    @GET
    @Path("/{uuid}/migration")
    public io.atoll.node.api.MigrationProgress migration(@PathParam("uuid") UUID uuid) {
        return manager.migrationProgress(uuid);
    }

    /** Cancels the VM's outgoing migration; the VM runs on here. */
    @POST
    @Path("/{uuid}/migrate/cancel")
    public Response cancelMigration(@PathParam("uuid") UUID uuid) {
        manager.cancelMigration(uuid);
        return Response.accepted().build();
    }

    /** The last lines the guest wrote on its serial console. */
    @GET
    @Path("/{uuid}/console")
    @Produces(MediaType.TEXT_PLAIN)
    public String console(@PathParam("uuid") UUID uuid, @QueryParam("lines") @DefaultValue("50") int lines) throws IOException {
        if (lines < 1 || lines > 10_000) {
            throw new IllegalArgumentException("lines is " + lines + ": ask for 1 to 10000 lines");
        }
        java.nio.file.Path log = manager.paths(uuid).consoleLog();
        if (!Files.exists(log)) {
            return "";
        }
        List<String> all = List.of(Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1).split("\r?\n"));
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
    }
}
