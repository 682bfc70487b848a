package io.atoll.guests;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Locates the test guests built by the {@code atoll-test-guests} module (under
 * {@code hypervisor-node/test-guests/target/guests}, passed to tests as the system property
 * {@value #DIR_PROPERTY} by surefire/failsafe) and creates blank disks for them.
 *
 * <h2>Counter guest</h2>
 * {@link #counterImage()}: a raw disk image (format {@code raw}, boot it as an IDE/virtio disk)
 * whose boot sector prints on COM1 one line {@code ATOLL-COUNTER BOOT} and then, about 18 times a
 * second (paced by the BIOS timer tick), {@code ATOLL-COUNTER <n>} with n = 1, 2, 3, ... The
 * counter lives in guest RAM, so after pause/resume, a memory snapshot restore or a live migration
 * the numbers continue where they stopped. Lines end in {@code \r\n}; firmware output may precede
 * them.
 *
 * <h2>Linux guest</h2>
 * {@link #linuxKernel()}, {@link #linuxInitrd()} and {@link #linuxCmdline()}: Debian's cloud
 * kernel with a busybox initramfs, booted with {@code -kernel/-initrd/-append}. It boots in about
 * 2 s under TCG (first boot on a blank disk: +1.5 s for mke2fs). It mounts {@code /dev/vda} (a
 * virtio-blk disk, formatted ext2 on first use) at {@code /mnt/disk}, or runs diskless, and
 * prints on the serial console (ttyS0) exactly one line
 * {@code ATOLL-GUEST READY disk=<vda|none> kernel=<uname -r>}. Then it reads commands, one per
 * line, from the serial console and answers each with one line:
 * <pre>
 *   write NAME MB  -&gt; ATOLL-GUEST WROTE NAME &lt;sha256&gt;   (MB MiB of random data in /mnt/disk/NAME)
 *   verify NAME    -&gt; ATOLL-GUEST VERIFY NAME OK | ATOLL-GUEST VERIFY NAME BAD
 *   echo TEXT      -&gt; ATOLL-GUEST ECHO TEXT
 *   poweroff       -&gt; ATOLL-GUEST POWEROFF, then the VM powers off
 *   other          -&gt; ATOLL-GUEST ERROR unknown command: ...
 * </pre>
 * Bad arguments or a missing disk give {@code ATOLL-GUEST ERROR ...}. The ACPI power button (QMP
 * {@code system_powerdown}) does the same clean shutdown as {@code poweroff}: sync, unmount,
 * {@code ATOLL-GUEST POWEROFF}, power off (QEMU exits within a second). Send commands only after
 * the READY line (earlier input may be echoed) and match lines that contain the
 * {@value #GUEST_PREFIX} prefix; lines end in {@code \r\n} and kernel messages may precede READY.
 * See {@code hypervisor-node/test-guests/src/main/guests/README.md}.
 */
public final class TestGuests {

    /** The system property holding the guests directory. */
    public static final String DIR_PROPERTY = "atoll.guests.dir";

    /** The kernel command line for the Linux guest. */
    public static final String LINUX_CMDLINE = "console=ttyS0 panic=-1";

    /** Prefix of every line the Linux guest prints itself. */
    public static final String GUEST_PREFIX = "ATOLL-GUEST ";

    /** Prefix of every line the counter guest prints. */
    public static final String COUNTER_PREFIX = "ATOLL-COUNTER ";

    private static final String BUILD_HINT =
            "run `mvn -pl hypervisor-node/test-guests package` (from the project root) to build the test guests";

    private TestGuests() {
    }

    /** The directory holding the built guests, from the system property {@value #DIR_PROPERTY}. */
    public static Path dir() {
        String value = System.getProperty(DIR_PROPERTY);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("System property " + DIR_PROPERTY
                    + " is not set (surefire/failsafe set it from the parent pom); " + BUILD_HINT);
        }
        Path dir = Path.of(value);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("Test guests directory " + dir + " (system property "
                    + DIR_PROPERTY + ") does not exist; " + BUILD_HINT);
        }
        return dir;
    }

    /** The counter guest: a raw disk image with the counter boot sector. */
    public static Path counterImage() {
        return file("counter.img");
    }

    /** The Linux guest's kernel (bzImage). */
    public static Path linuxKernel() {
        return file("linux/vmlinuz");
    }

    /** The Linux guest's initramfs (gzip'ed cpio). */
    public static Path linuxInitrd() {
        return file("linux/initrd.img");
    }

    /** The kernel command line for the Linux guest: {@value #LINUX_CMDLINE}. */
    public static String linuxCmdline() {
        return LINUX_CMDLINE;
    }

    /** The Linux guest's kernel release, as its READY line reports it ({@code uname -r}). */
    public static String linuxKernelRelease() {
        Path file = file("linux/kernel-release");
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file, e);
        }
    }

    /**
     * Creates a blank qcow2 disk with {@code qemu-img create -f qcow2 FILE SIZEM} (parent
     * directories are created). Returns {@code file}.
     *
     * @throws IllegalStateException if qemu-img fails (the message holds its output)
     * @throws UncheckedIOException if qemu-img cannot be run or the directory cannot be created
     */
    public static Path createBlankDisk(Path file, long sizeMiB) {
        if (sizeMiB <= 0) {
            throw new IllegalArgumentException("sizeMiB must be positive: " + sizeMiB);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            try {
                Files.createDirectories(parent);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create directory " + parent, e);
            }
        }
        List<String> command = List.of("qemu-img", "create", "-f", "qcow2", file.toString(), sizeMiB + "M");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output;
            try (InputStream in = process.getInputStream()) {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s: " + output);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed with exit code "
                        + process.exitValue() + ": " + output);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + String.join(" ", command)
                    + " (is qemu-utils installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + String.join(" ", command), e);
        }
    }

    private static Path file(String relative) {
        Path dir = dir();
        Path file = dir.resolve(relative);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("Test guest file " + file + " is missing (system property "
                    + DIR_PROPERTY + "=" + dir + "); " + BUILD_HINT);
        }
        return file;
    }
}
