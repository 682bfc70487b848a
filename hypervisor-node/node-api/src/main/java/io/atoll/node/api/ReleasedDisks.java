package io.atoll.node.api;

import java.util.List;

/** The answer to a release-host call: the disks whose attachment by the fenced host was forgotten. */
public record ReleasedDisks(List<String> released) {
    public ReleasedDisks {
        released = released == null ? List.of() : List.copyOf(released);
    }
}
