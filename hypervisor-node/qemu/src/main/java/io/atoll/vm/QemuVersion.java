package io.atoll.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The version of a QEMU binary, asked once per binary. */
final class QemuVersion {
    private static final Pattern VERSION = Pattern.compile("version (\\d+\\.\\d+\\.\\d+)");
    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();

    private QemuVersion() {
    }

    static String of(String binary) {
        return CACHE.computeIfAbsent(binary, b -> {
            try {
                Process p = new ProcessBuilder(b, "--version").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor(10, TimeUnit.SECONDS);
                Matcher m = VERSION.matcher(out);
                return m.find() ? m.group(1) : "unknown";
            } catch (IOException e) {
                return "not installed";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "unknown";
            }
        });
    }
}
