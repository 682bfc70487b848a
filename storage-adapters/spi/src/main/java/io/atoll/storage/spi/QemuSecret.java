package io.atoll.storage.spi;

import java.util.Objects;

/**
 * A secret QEMU needs to open a disk (a CHAP password), handed to QEMU as a {@code secret}
 * object read from a private file, so it appears in no command line, image name or log.
 * {@link #toString()} hides the value.
 *
 * @param id the secret object's id, referred to by the blockdev options (e.g. {@code password-secret})
 * @param value the secret itself
 */
public record QemuSecret(String id, String value) {
    public QemuSecret {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return "QemuSecret[" + id + ", ***]";
    }
}
