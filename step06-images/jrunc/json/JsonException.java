package jrunc.json;

/**
 * A document that is not JSON (line and column, 1-based, of the first wrong character) or a
 * value that does not fit the Java type it is bound to (the field path, "process.user.uid").
 * The message leaves out the origin: the caller knows which file it read.
 */
public final class JsonException extends RuntimeException {
    private final String path;

    private JsonException(String message, String path) {
        super(message);
        this.path = path;
    }

    static JsonException syntax(int line, int column, String reason) {
        return new JsonException("invalid JSON at line " + line + ", column " + column + ": "
                + reason, null);
    }

    static JsonException mismatch(String path, String reason) {
        return new JsonException(path.isEmpty() ? reason : path + ": " + reason, path);
    }

    /** The field that did not fit ("" for the document itself); null for invalid JSON. */
    public String path() {
        return path;
    }
}
