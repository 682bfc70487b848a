package io.atoll.qmp;

/**
 * A QMP command did not succeed. Subclasses tell why: QEMU answered with an error, the
 * connection closed (QEMU exited), or no answer came in time.
 */
public class QmpException extends Exception {
    private static final long serialVersionUID = 1L;

    public QmpException(String message) {
        super(message);
    }

    public QmpException(String message, Throwable cause) {
        super(message, cause);
    }

    /** QEMU answered the command with an {@code error} object. */
    public static final class CommandFailed extends QmpException {
        private static final long serialVersionUID = 1L;
        private final String errorClass;
        private final String description;

        public CommandFailed(String command, String errorClass, String description) {
            super("qmp " + command + " failed: " + description + " (" + errorClass + ")");
            this.errorClass = errorClass;
            this.description = description;
        }

        /** QEMU's error class, e.g. {@code GenericError}, {@code CommandNotFound}. */
        public String errorClass() {
            return errorClass;
        }

        /** QEMU's own description of the error. */
        public String description() {
            return description;
        }
    }

    /** The connection to QEMU closed before the answer came: usually QEMU has exited. */
    public static final class ConnectionClosed extends QmpException {
        private static final long serialVersionUID = 1L;

        public ConnectionClosed(String message) {
            super(message);
        }
    }

    /** No answer within the command's timeout. The connection stays usable. */
    public static final class Timeout extends QmpException {
        private static final long serialVersionUID = 1L;

        public Timeout(String message) {
            super(message);
        }
    }
}
