package io.atoll.master.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.atoll.master.event.ObjectRef;
import io.atoll.node.api.ApiError;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An asynchronous operation, as clients see it ({@code GET /api/v1/tasks/{uuid}}).
 *
 * @param uuid the task's id
 * @param name what it does: {@code vm.start}, {@code vm.clean_shutdown}…
 * @param status where it is
 * @param progress 0 to 1; 1 when it succeeded
 * @param created when it was accepted
 * @param started when a worker took it, or {@code null}
 * @param finished when it ended, or {@code null}
 * @param object the object it acts on
 * @param result on success, the object after the operation (for a VM operation: the VM)
 * @param error on failure, the error exactly as a synchronous call would have answered it
 * @param parent the task that started this one (a host evacuation, for its migrations), or {@code null}
 */
public record Task(UUID uuid, String name, TaskStatus status, double progress, Instant created, Instant started,
                   Instant finished, ObjectRef object, JsonNode result, ApiError error, UUID parent) {
    public Task {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        if (progress < 0 || progress > 1) {
            throw new IllegalArgumentException("task " + uuid + ": progress is " + progress + ", outside 0..1");
        }
    }
}
