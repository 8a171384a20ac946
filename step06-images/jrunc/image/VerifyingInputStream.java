package jrunc.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Hashes bytes as they pass and, at end of stream, fails unless they had the expected size and
 * digest. Checking while streaming means a corrupt or truncated blob is caught by the same read
 * that stores it, and nothing unverified is ever renamed into the store.
 */
public final class VerifyingInputStream extends FilterInputStream {
    private final MessageDigest sha256 = Digest.newSha256();
    private final Digest expected;
    private final long expectedSize; // -1 when unknown
    private final long limit;
    private long count;
    private boolean verified;

    public VerifyingInputStream(InputStream in, Digest expected, long expectedSize, long limit) {
        super(in);
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.limit = limit;
    }

    /** Continues an interrupted download: the hash already covers {@code prefix}. */
    public void alreadyRead(byte[] prefix, int length) {
        sha256.update(prefix, 0, length);
        count += length;
    }

    public long count() {
        return count;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    // tag::verify-read[]
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            verify(); // end of stream: size and digest must match
            return -1;
        }
        sha256.update(b, off, n);
        count += n;
        if (count > limit || (expectedSize >= 0 && count > expectedSize)) {
            throw new DigestMismatchException(expected
                    + ": more bytes than declared or allowed");
        }
        return n;
    }
    // end::verify-read[]

    private void verify() throws DigestMismatchException {
        if (verified) return;
        verified = true;
        if (expectedSize >= 0 && count != expectedSize) {
            throw new DigestMismatchException(expected + ": truncated, got " + count
                    + " of " + expectedSize + " bytes");
        }
        Digest actual = new Digest("sha256", HexFormat.of().formatHex(sha256.digest()));
        if (!actual.equals(expected)) {
            throw new DigestMismatchException("digest mismatch: expected " + expected + ", got " + actual, actual);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("skip would bypass the digest check");
    }

    /** Content that does not match its digest or size: never retried into the store. */
    public static final class DigestMismatchException extends IOException {
        private final transient Digest actual;

        public DigestMismatchException(String message) {
            this(message, null);
        }

        public DigestMismatchException(String message, Digest actual) {
            super(message);
            this.actual = actual;
        }

        /** The digest the content had, when it was read to the end; else null. */
        public Digest actual() {
            return actual;
        }
    }
}
