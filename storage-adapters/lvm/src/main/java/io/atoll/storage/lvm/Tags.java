package io.atoll.storage.lvm;

import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * LVM tags as the adapter's metadata store. A tag may hold only {@code [A-Za-z0-9_+.-]}, so a tag
 * here is {@code KEY.VALUE} (or {@code KEY.K.V} for a user metadata pair) where values are
 * encoded: letters, digits and '-' stand for themselves, every other byte of the UTF-8 form is
 * {@code _XX} (two hex digits). The encoded forms never contain '.', which is thus a safe
 * separator. Keys all start with {@code atoll_} so that foreign tags are left alone.
 */
final class Tags {
    /** LVM itself accepts longer tags; a bound keeps the VG metadata area from filling up with a few disks. */
    static final int MAX_TAG = 1024;

    static final String SR = "atoll_sr";
    static final String SR_NAME = "atoll_srname";
    static final String ID = "atoll_id";
    static final String KIND = "atoll_kind";
    static final String NAME = "atoll_name";
    static final String SNAPSHOT_OF = "atoll_of";
    static final String CREATED = "atoll_created";
    static final String BORN = "atoll_born";
    static final String PARENT = "atoll_parent";
    static final String SIZE = "atoll_size";
    static final String META = "atoll_m";
    static final String CBT = "atoll_cbt";
    static final String BITMAP = "atoll_bm";
    static final String BITMAP_COMPLETE = "atoll_bmc";
    static final String RW = "atoll_rw";
    static final String RO = "atoll_ro";
    static final String PENDING = "atoll_pending";

    private Tags() {
    }

    /** {@code KEY.encoded(value)}, refused when too long for a tag. */
    static String tag(String key, String value) {
        String t = key + "." + encode(value);
        if (t.length() > MAX_TAG) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, key.substring("atoll_".length()) + " '" + value
                    + "' is too long once encoded for an LVM tag (" + t.length() + " of " + MAX_TAG + " characters)");
        }
        return t;
    }

    /** A metadata pair as a tag. */
    static String meta(String key, String value) {
        if (key == null || key.isEmpty()) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "metadata key is empty: give a key");
        }
        String t = META + "." + encode(key) + "." + encode(value == null ? "" : value);
        if (t.length() > MAX_TAG) {
            throw new StorageException(StorageErrorCode.INVALID_ARGUMENT, "metadata '" + key + "' is too long: key and value must fit in "
                    + MAX_TAG + " bytes once encoded (about " + MAX_TAG / 3 + " characters of any kind)");
        }
        return t;
    }

    static String encode(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
                out.append((char) c);
            } else {
                out.append('_').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    static String decode(String encoded) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '_' && i + 2 < encoded.length()) {
                out.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
