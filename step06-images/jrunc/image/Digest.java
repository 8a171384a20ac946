package jrunc.image;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest such as {@code sha256:4bc4...}: the name of a blob is its hash. */
public record Digest(String algorithm, String hex) {
    private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");

    public static Digest parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException("invalid digest '" + text + "': expected sha256:<64 hex digits>");
        String algorithm = text.substring(0, colon);
        String hex = text.substring(colon + 1);
        if (!algorithm.equals("sha256")) {
            throw new IllegalArgumentException("unsupported digest algorithm '" + algorithm + "' in " + text + " (only sha256)");
        }
        if (!SHA256.matcher(hex).matches()) {
            throw new IllegalArgumentException("invalid digest '" + text + "': expected 64 lowercase hex digits");
        }
        return new Digest(algorithm, hex);
    }

    public static Digest of(byte[] content) {
        return new Digest("sha256", HexFormat.of().formatHex(newSha256().digest(content)));
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
