package io.atoll.ha;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JGroups stack of ha-stack.xml with its {@code ${atoll.ha.*:default}} placeholders filled: first
 * from the values given here (addresses from the pool, timers from {@link HaTimings}), then from system
 * properties, then from the file's defaults. Values are per stack, not per JVM, so several members with
 * their own ports live in one process (the tests do).
 */
public final class HaStack {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(atoll\\.ha\\.[A-Za-z0-9.-]+)(?::([^}]*))?}");
    private static final String RESOURCE = "/ha-stack.xml";

    private final Map<String, String> values = new LinkedHashMap<>();

    private HaStack(HaTimings timings) {
        values.putAll(timings.stackProperties());
    }

    /** The stack with every timer derived from {@code timings}. */
    public static HaStack of(HaTimings timings) {
        return new HaStack(timings);
    }

    /** The address this member listens on (an IP of the host's management network; loopback in tests). */
    public HaStack bindAddress(String address) {
        return set("atoll.ha.bind-address", address);
    }

    public HaStack port(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not a TCP port");
        }
        return set("atoll.ha.port", Integer.toString(port));
    }

    /** The pool's members as {@code host[port]}, e.g. from the master's host list. */
    public HaStack initialHosts(Iterable<String> hostPorts) {
        return set("atoll.ha.initial-hosts", String.join(",", hostPorts));
    }

    /** Any other placeholder of ha-stack.xml. */
    public HaStack set(String name, String value) {
        if (!name.startsWith("atoll.ha.")) {
            throw new IllegalArgumentException("ha-stack.xml placeholders are atoll.ha.*, not " + name);
        }
        if (value == null || value.isBlank() || value.contains("\"") || value.contains("<")) {
            throw new IllegalArgumentException("not a value for " + name + ": " + value);
        }
        values.put(name, value);
        return this;
    }

    /** The XML with every placeholder replaced. */
    public String render() {
        String xml = template();
        Matcher m = PLACEHOLDER.matcher(xml);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String value = values.getOrDefault(name, System.getProperty(name, m.group(2)));
            if (value == null) {
                throw new IllegalStateException("ha-stack.xml: no value for ${" + name + "} and no default");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    InputStream open() {
        return new ByteArrayInputStream(render().getBytes(StandardCharsets.UTF_8));
    }

    private static String template() {
        try (InputStream in = HaStack.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
