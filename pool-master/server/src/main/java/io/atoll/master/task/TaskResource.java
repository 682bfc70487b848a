package io.atoll.master.task;

import io.atoll.master.auth.MinimumRole;
import io.atoll.master.auth.Roles;
import io.atoll.master.error.MasterErrorCode;
import io.atoll.master.error.MasterException;
import io.atoll.master.error.Params;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The pool's tasks: what each asynchronous operation is doing or did. */
@Path("/api/v1/tasks")
@MinimumRole(Roles.READ_ONLY)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "tasks")
public class TaskResource {

    @Inject
    TaskService tasks;

    /** Newest first; {@code status} (e.g. RUNNING) filters, {@code limit} (default 100, at most 1000) bounds. */
    @GET
    public List<Task> list(@QueryParam("status") String status, @QueryParam("limit") String limit) {
        long max = Params.longOr("limit", limit, 100);
        if (max < 1 || max > 1000) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "limit is " + max + ": give 1 to 1000");
        }
        return tasks.list(status == null ? null : parseStatus(status), (int) max);
    }

    @GET
    @Path("/{uuid}")
    public Task get(@PathParam("uuid") String uuid) {
        return tasks.get(Params.uuid(uuid, MasterErrorCode.TASK_NOT_FOUND, "task"));
    }

    @GET
    @Path("/{uuid}/children")
    public List<Task> children(@PathParam("uuid") String uuid) {
        UUID parent = Params.uuid(uuid, MasterErrorCode.TASK_NOT_FOUND, "task");
        tasks.get(parent);
        return tasks.children(parent);
    }

    private static TaskStatus parseStatus(String value) {
        try {
            return TaskStatus.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new MasterException(MasterErrorCode.INVALID_REQUEST, null, "status '" + value + "' is unknown: give one of "
                    + Arrays.toString(TaskStatus.values()));
        }
    }
}
