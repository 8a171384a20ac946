package jrunc.runtime;

/** A failure to report to the user: the message names the container id or JSON field. */
public final class JruncException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final int exitStatus;

    public JruncException(String message) {
        this(1, message);
    }

    public JruncException(int exitStatus, String message) {
        super(message);
        this.exitStatus = exitStatus;
    }
}
