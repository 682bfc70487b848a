package io.atoll.storage.qcow2;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** Small key/value record files (java.util.Properties text), sorted for stable diffs. */
final class Records {
    private Records() {
    }

    static Map<String, String> parse(String text) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(text));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        p.stringPropertyNames().stream().sorted().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    static String format(Map<String, String> values) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
            Properties one = new Properties();
            one.setProperty(e.getKey(), e.getValue());
            StringWriter w = new StringWriter();
            try {
                one.store(w, null);
            } catch (IOException ex) {
                throw new IllegalStateException(ex);
            }
            // drop the date comment Properties.store always writes
            w.toString().lines().filter(l -> !l.startsWith("#")).forEach(l -> b.append(l).append('\n'));
        }
        return b.toString();
    }
}
