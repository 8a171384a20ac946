package jrunc.image.cli;

import java.io.UncheckedIOException;
import java.net.http.HttpTimeoutException;

/** One line on stderr for an expected failure, and exit status 125 (the runtime failed). */
final class Failure {
    static final int EXIT = 125;

    private Failure() {}

    static int report(String command, Exception e) {
        System.err.println("jrunc " + command + ": " + describe(e));
        return EXIT;
    }

    private static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u) e = u.getCause();
        if (e instanceof HttpTimeoutException) return "timed out: " + e.getMessage();
        String message = e.getMessage();
        return message != null ? message : e.toString();
    }
}
