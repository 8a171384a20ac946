package jrunc.image;

/**
 * A failure worth one line to the user: the registry's error code (MANIFEST_UNKNOWN,
 * UNAUTHORIZED, ...) when it sent one, what we asked for, and a hint when the cause is common.
 */
public class RegistryException extends RuntimeException {
    private final String code;

    public RegistryException(String code, String message) {
        super(message);
        this.code = code;
    }

    public RegistryException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The distribution-spec error code, or a status like {@code HTTP_500}. */
    public String code() {
        return code;
    }
}
