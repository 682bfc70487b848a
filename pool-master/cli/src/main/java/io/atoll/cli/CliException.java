package io.atoll.cli;

/**
 * Why a command failed, as the user reads it: {@code error: CODE: message (object)} on stderr and
 * {@link #exitCode()} as the process's status. The code and message of a server refusal or of a
 * failed task are the server's own ({@code {"code","message","object"}}).
 */
public final class CliException extends RuntimeException {
    /** The server refused the request, a task failed, or a name matched nothing. */
    public static final int REFUSED = 1;
    /** The pool master could not be reached (connection refused, unknown host, no answer in time). */
    public static final int UNREACHABLE = 3;
    /** Something on this side: the credentials file, a spec file, no terminal to ask a password. */
    public static final int LOCAL = 4;

    private final String code;
    private final String object;
    private final int exitCode;

    public CliException(String code, String message, String object, int exitCode) {
        super(message);
        if (code == null || code.isBlank()) {
            throw new IllegalArgumentException("an error needs a code");
        }
        this.code = code;
        this.object = object;
        this.exitCode = exitCode;
    }

    public static CliException refused(String code, String message, String object) {
        return new CliException(code, message, object, REFUSED);
    }

    public static CliException local(String code, String message) {
        return new CliException(code, message, null, LOCAL);
    }

    public String code() {
        return code;
    }

    /** The object concerned ({@code vm 3f2a…}), or {@code null}. */
    public String object() {
        return object;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The line printed on stderr. */
    public String line() {
        return "error: " + code + ": " + getMessage() + (object == null || object.isBlank() ? "" : " (" + object + ")");
    }
}
