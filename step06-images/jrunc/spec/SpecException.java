package jrunc.spec;

/** config.json is not something jrunc can run; the message names the JSON field. */
public final class SpecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SpecException(String message) {
        super(message);
    }
}
