package io.atoll.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How results print: the server's JSON (indented) with {@code --output json}, else tables and
 * {@code xe param-list}-like key/value lists. Also the few formats the tables share (sizes, times).
 */
public final class Output {
    private Output() {
    }

    /** The server's JSON, indented. */
    public static String json(JsonNode node) {
        try {
            return MasterClient.JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** One line of JSON (event streams: one event a line). */
    public static String jsonLine(JsonNode node) {
        return node.toString() + "\n";
    }

    /**
     * An object as aligned {@code key: value} lines, nested objects and lists of objects flattened
     * to {@code boot.kernel}, {@code disks[0].path}; lists of plain values joined by commas.
     */
    public static String keyValues(JsonNode object) {
        List<String[]> pairs = new ArrayList<>();
        flatten("", object, pairs);
        int width = pairs.stream().mapToInt(p -> p[0].length()).max().orElse(0);
        StringBuilder out = new StringBuilder();
        for (String[] p : pairs) {
            out.append(p[0]).append(':').append(" ".repeat(width - p[0].length() + 1)).append(p[1]).append('\n');
        }
        return out.toString();
    }

    private static void flatten(String prefix, JsonNode node, List<String[]> pairs) {
        if (node.isObject()) {
            if (node.isEmpty() && !prefix.isEmpty()) {
                pairs.add(new String[] {prefix, Table.EMPTY});
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), pairs);
            }
        } else if (node.isArray() && hasContainers(node)) {
            for (int i = 0; i < node.size(); i++) {
                flatten(prefix + "[" + i + "]", node.get(i), pairs);
            }
        } else if (node.isArray()) {
            List<String> values = new ArrayList<>();
            node.forEach(v -> values.add(text(v)));
            pairs.add(new String[] {prefix, values.isEmpty() ? Table.EMPTY : String.join(", ", values)});
        } else {
            pairs.add(new String[] {prefix, text(node)});
        }
    }

    private static boolean hasContainers(JsonNode array) {
        for (JsonNode v : array) {
            if (v.isContainerNode()) {
                return true;
            }
        }
        return false;
    }

    /** A scalar as a cell: {@code -} for null or missing. */
    public static String text(JsonNode v) {
        return v == null || v.isNull() || v.isMissingNode() ? Table.EMPTY : v.isValueNode() ? v.asText() : v.toString();
    }

    /** Bytes in binary units, one decimal from GiB up: {@code 512 MiB}, {@code 1.5 GiB}. */
    public static String bytes(long bytes) {
        if (bytes < 0) {
            return Table.EMPTY;
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        if (unit <= 2 || value == Math.rint(value)) {
            return Math.round(value) + " " + units[unit];
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** A server timestamp ({@code 2026-11-27T16:53:08.786412Z}) to the second: {@code 2026-11-27 16:53:08Z}. */
    public static String time(JsonNode v) {
        String s = text(v);
        if (s.length() >= 19 && s.charAt(10) == 'T') {
            return s.substring(0, 10) + " " + s.substring(11, 19) + (s.endsWith("Z") ? "Z" : "");
        }
        return s;
    }

    /** {@code 0.5} → {@code 50%}. */
    public static String percent(double progress) {
        return Math.round(Math.max(0, Math.min(1, progress)) * 100) + "%";
    }
}
