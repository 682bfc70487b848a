package io.atoll.storage.lvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atoll.storage.spi.AccessMode;
import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import io.atoll.storage.spi.StorageRepository;
import java.io.IOException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh repository on a fresh loop device for each test, on host A; host B shares the device.
 * Needs root, loop devices, lvm2 and qemu-utils; fails (never skips) without them.
 */
abstract class LvmTestBase {
    static final long MiB = 1L << 20;
    static final long GiB = 1L << 30;

    Hosts hosts;
    StorageRepository repo;

    /** The loop device's size; a sparse file, so a large one costs nothing. */
    long deviceBytes() {
        return 2 * GiB;
    }

    @BeforeEach
    void freshRepository() throws IOException {
        hosts = new Hosts(deviceBytes());
        hosts.a.create(hosts.config);
        repo = hosts.a.attach(hosts.config);
    }

    @AfterEach
    void cleanUp() throws IOException {
        try {
            if (hosts != null) {
                try {
                    hosts.a.destroy(hosts.config);
                } catch (StorageException e) {
                    // the test destroyed it already, or left disks attached: the loop fixture removes the group
                }
            }
        } finally {
            if (hosts != null) {
                hosts.close();
            }
        }
    }

    void write(String diskId, int pattern, long offset, long length) {
        DiskAttachment a = repo.attach(diskId, AccessMode.READ_WRITE);
        try {
            Images.io(a, "write -P " + pattern + " " + offset + " " + length);
        } finally {
            repo.detach(diskId);
        }
    }

    void verify(String diskId, int pattern, long offset, long length) {
        DiskAttachment a = repo.attach(diskId, AccessMode.READ_ONLY);
        try {
            Images.io(a, "read -P " + pattern + " " + offset + " " + length);
        } finally {
            repo.detach(diskId);
        }
    }

    String digest(String diskId) throws IOException {
        DiskAttachment a = repo.attach(diskId, AccessMode.READ_ONLY);
        try {
            return Images.digest(a, hosts.scratch());
        } finally {
            repo.detach(diskId);
        }
    }

    static void assertError(ThrowingCallable call, StorageErrorCode code, String... parts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StorageException.class, e -> {
            assertThat(e.code()).as("error code of: %s", e.getMessage()).isEqualTo(code);
            if (parts.length > 0) {
                assertThat(e.getMessage()).contains(parts);
            }
        });
    }
}
