package io.atoll.storage.iscsi;

import io.atoll.storage.spi.DiskAttachment;
import io.atoll.storage.spi.QemuSecret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Opens an attachment the way the host runtime will: the protocol options as an
 * {@code --image-opts} node under a {@code raw} format node, each secret as a
 * {@code --object secret,file=…} read from a private file. Runs {@code qemu-io} or
 * {@code qemu-img} with it.
 */
final class QemuIo {
    private QemuIo() {
    }

    /** What a QEMU tool printed and how it ended. */
    record Run(List<String> command, int exitCode, String output) {
        boolean ok() {
            return exitCode == 0 && !output.contains("Pattern verification failed") && !output.contains("failed:");
        }
    }

    /** {@code qemu-io} with these commands ({@code -c} each) on the attachment. */
    static Run io(DiskAttachment a, String... commands) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("qemu-io"));
        if (a.readOnly()) {
            args.add("-r");
        }
        for (String c : commands) {
            args.add("-c");
            args.add(c);
        }
        return run(a, args, List.of());
    }

    /** {@code qemu-img info} of the attachment. */
    static Run info(DiskAttachment a) throws IOException, InterruptedException {
        return run(a, new ArrayList<>(List.of("qemu-img", "info")), List.of());
    }

    /** {@code driver=raw,file.driver=iscsi,file.portal=…}: the attachment as image options. */
    static String imageOpts(DiskAttachment a) {
        StringBuilder s = new StringBuilder("driver=").append(a.format());
        a.formatOptions().forEach((k, v) -> s.append(',').append(k).append('=').append(escape(v)));
        for (Map.Entry<String, Object> e : a.protocol().entrySet()) {
            s.append(",file.").append(e.getKey()).append('=').append(escape(e.getValue()));
        }
        return s.toString();
    }

    private static Run run(DiskAttachment a, List<String> args, List<String> extra) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "atoll-qemu-secrets-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            List<String> cmd = new ArrayList<>(args);
            for (QemuSecret secret : a.secrets()) {
                Path file = dir.resolve(secret.id());
                Files.writeString(file, secret.value(), StandardCharsets.UTF_8);
                cmd.add("--object");
                cmd.add("secret,id=" + secret.id() + ",file=" + file);
            }
            cmd.addAll(extra);
            cmd.add("--image-opts");
            cmd.add(imageOpts(a));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            if (out.contains("Unknown driver 'iscsi'") || out.contains("Unknown protocol")) {
                throw new AssertionError("QEMU has no iSCSI driver: install qemu-block-extra (run bin/install-deps)\n" + out);
            }
            return new Run(cmd, p.exitValue(), out);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    private static String escape(Object v) {
        return String.valueOf(v).replace(",", ",,");
    }
}
