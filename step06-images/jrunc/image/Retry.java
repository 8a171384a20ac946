package jrunc.image;

import java.io.IOException;
import java.time.Duration;

/**
 * Retries what a network or a busy registry breaks (connection resets, 429, 5xx) with
 * exponential backoff. Never retries a digest mismatch or a 4xx: those will not get better.
 */
public record Retry(int attempts, Duration firstDelay) {
    public static final Retry DEFAULT = new Retry(5, Duration.ofMillis(500));

    /** A failure that may pass: the registry said 429 or 5xx. */
    public static final class RetryableException extends RegistryException {
        public RetryableException(String code, String message) {
            super(code, message);
        }
    }

    public interface Attempt<T> {
        T run() throws IOException;
    }

    public <T> T run(String what, Attempt<T> attempt) throws IOException {
        Duration delay = firstDelay;
        for (int i = 1; ; i++) {
            try {
                return attempt.run();
            } catch (VerifyingInputStream.DigestMismatchException e) {
                throw e;
            } catch (java.net.ConnectException e) {
                // Nothing listens there: waiting will not help, a wrong address is likelier.
                throw new IOException(what + ": cannot connect (" + e + ")"
                        + " - is the registry running and the address right?", e);
            } catch (IOException | RetryableException e) {
                if (i >= attempts) {
                    if (e instanceof IOException io) throw new IOException(what + ": gave up after " + i + " attempts: " + io, io);
                    throw (RetryableException) e;
                }
                sleep(delay);
                delay = delay.multipliedBy(2);
            }
        }
    }

    private static void sleep(Duration delay) throws IOException {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to retry", e);
        }
    }
}
