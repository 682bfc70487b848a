package com.example.atoll.sampledir;

import io.atoll.storage.spi.StorageErrorCode;
import io.atoll.storage.spi.StorageException;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** The small properties files the adapter keeps its records in, and its I/O error mapping. */
final class PropertiesFile {

    private PropertiesFile() {
    }

    static Map<String, String> read(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /**
     * Replaces the file through a temporary file and a rename, so that a crash leaves the old
     * record or the new one, never half of one.
     */
    static void write(Path file, Map<String, String> values) throws IOException {
        Properties p = new Properties();
        p.putAll(values);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(out, "sample-dir storage adapter");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The SDK error for a failed file operation: what was being done, and the system's words. */
    static StorageException failed(String what, IOException e) {
        String msg = String.valueOf(e.getMessage());
        // The JDK reports ENOSPC and EFBIG only in the message text.
        if (msg.contains("No space left") || msg.contains("File too large")) {
            return new StorageException(StorageErrorCode.NO_SPACE, "cannot " + what + ": " + msg, e);
        }
        return new StorageException(StorageErrorCode.BACKEND_FAILED, "cannot " + what + ": " + e, e);
    }
}
