package io.atoll.master.host;

import io.atoll.master.auth.Anonymous;
import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.auth.audit.AuditFilter;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.error.Params;
import io.atoll.master.pool.JoinTokenService;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool's hosts: join (by a pool-admin, or by the host itself with a join token), list, enable/disable, eject. */
@Path("/api/v1/hosts")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "hosts")
public class HostResource {

    @Inject
    HostService hosts;

    @Inject
    io.atoll.master.vm.HostEvacuation evacuation;

    @Inject
    JoinTokenService joinTokens;

    @POST
    @Operation(summary = "Join a host", description = "The master calls the agent at 'agentUrl' (or http://ADDRESS:7401) with the token, "
            + "records its facts and polls it from then on. 201 with the host.")
    @MinimumRole(Roles.POOL_ADMIN)
    public Response join(HostJoinRequest request) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"address\"|\"agentUrl\", \"agentToken\"}");
        }
        Host host = hosts.join(request);
        return Response.created(URI.create("/api/v1/hosts/" + host.uuid())).entity(host).build();
    }

    @POST
    @Path("/join")
    @Anonymous
    @Operation(summary = "A host joins by itself, with a join token", description = "Body {\"joinToken\", \"agentUrl\", \"agentToken\"}; no "
            + "user token: the join token is the credential (atoll host join, run on the host). Then as an administrator's join: the "
            + "master calls the agent, records the host under the uuid the agent reports, and takes one use of the token. 201 with "
            + "the host; 401 JOIN_TOKEN_INVALID for an unknown, revoked, expired or used-up token.")
    public Response joinWithToken(HostTokenJoinRequest request, @Context ContainerRequestContext context) {
        if (request == null) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "the body must be {\"joinToken\", \"agentUrl\", \"agentToken\"}");
        }
        UUID token = joinTokens.identify(request.joinToken());
        // Nobody logged in: the audit names the join token that acted (never the token itself).
        context.setProperty(AuditFilter.USERNAME, "join-token " + token);
        Host host = hosts.join(request, token);
        return Response.created(URI.create("/api/v1/hosts/" + host.uuid())).entity(host).build();
    }

    @GET
    public List<Host> list() {
        return hosts.list();
    }

    @GET
    @Path("/{uuid}")
    public Host get(@PathParam("uuid") String uuid) {
        return hosts.get(parse(uuid));
    }

    @DELETE
    @Path("/{uuid}")
    @Operation(summary = "Eject a host", description = "Refused (409 HOST_HAS_RESIDENT_VMS) while VMs run, are suspended or are being started on it.")
    @MinimumRole(Roles.POOL_ADMIN)
    public Response eject(@PathParam("uuid") String uuid) {
        hosts.eject(parse(uuid));
        return Response.noContent().build();
    }

    @POST
    @Path("/{uuid}/disable")
    @Operation(summary = "Place no new VMs on the host")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Host disable(@PathParam("uuid") String uuid) {
        return hosts.setEnabled(parse(uuid), false);
    }

    @POST
    @Path("/{uuid}/enable")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Host enable(@PathParam("uuid") String uuid) {
        return hosts.setEnabled(parse(uuid), true);
    }

    /** The body of an evacuation: how many migrations run at once (default 2). */
    public record EvacuateRequest(Integer batch) {
    }

    @POST
    @Path("/{uuid}/evacuate")
    @Operation(summary = "Maintenance mode: disable the host and live-migrate its VMs away", description = "202 with the task "
            + "(host.evacuate); body (optional) {\"batch\": 2}: migrations at once, each VM its own vm.pool_migrate task. Refused (409 "
            + "NO_HOST_AVAILABLE) before anything changes when the other hosts have no room. Suspended and crashed VMs stay (named in the result).")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Response evacuate(@PathParam("uuid") String uuid, EvacuateRequest body) {
        io.atoll.master.task.Task task = evacuation.request(parse(uuid), body == null || body.batch() == null ? 2 : body.batch());
        return Response.accepted(task).location(URI.create("/api/v1/tasks/" + task.uuid())).build();
    }

    /** The body of the migration address: an IP address on the migration network, or null for the management address. */
    public record MigrationAddress(String address) {
    }

    @jakarta.ws.rs.PUT
    @Path("/{uuid}/migration-address")
    @Operation(summary = "Set the address the host receives live migrations on", description = "Body {\"address\": \"10.1.0.5\"} — its "
            + "address on the migration network; {\"address\": null} goes back to the management address.")
    @MinimumRole(Roles.POOL_OPERATOR)
    public Host setMigrationAddress(@PathParam("uuid") String uuid, MigrationAddress body) {
        return hosts.setMigrationAddress(parse(uuid), body == null ? null : body.address());
    }

    private static UUID parse(String uuid) {
        return Params.uuid(uuid, MasterErrorCode.HOST_NOT_FOUND, "host");
    }
}
