package io.atoll.master.storage;

import java.util.regex.Pattern;

/**
 * The names storage adapters accept (the SDK's {@code Names.checkName} rule, checked here so a
 * bad name is refused before any host is called), and safe names derived from VM names.
 */
public final class StorageNames {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._+:@-]{0,127}");

    private StorageNames() {
    }

    /** Refuses a name an adapter would refuse, naming the object and the rule. */
    public static String check(String what, String name) {
        if (name == null || name.contains("..") || !SAFE.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " name '" + name
                    + "' is not allowed: use 1-128 letters, digits, spaces and . _ + : @ -, starting with a letter or digit, without '..'");
        }
        return name;
    }

    /** A name adapters accept made from any text (a VM's name and a suffix). */
    public static String derive(String base, String suffix) {
        StringBuilder b = new StringBuilder();
        for (char c : base.toCharArray()) {
            b.append(Character.isLetterOrDigit(c) && c < 0x80 || " ._+:@-".indexOf(c) >= 0 ? c : '-');
        }
        String s = b.toString().replace("..", "-");
        if (s.isEmpty() || !Character.isLetterOrDigit(s.charAt(0))) {
            s = "vm" + s;
        }
        String suffixPart = suffix.isEmpty() ? "" : "-" + suffix;
        int room = 128 - suffixPart.length();
        return (s.length() > room ? s.substring(0, room) : s) + suffixPart;
    }
}
