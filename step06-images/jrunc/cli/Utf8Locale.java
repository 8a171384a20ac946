package jrunc.cli;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.linux.LibC;

/**
 * File names are bytes, but a JVM turns them into strings with the charset it picked from the
 * locale at start-up ({@code sun.jnu.encoding}, read-only afterwards; {@code -D} does not
 * change it on JDK 17 or 25). Under {@code LC_ALL=C} or no {@code LANG} (cron, systemd,
 * {@code env -i}) that is ASCII, and every non-ASCII name of an image fails. So jrunc
 * replaces itself, same pid and fds, by the same command line under {@code LC_ALL=C.UTF-8}
 * (built into glibc 2.35+): the arguments and environment are passed on as the bytes the
 * kernel holds, not through Java strings that the old charset already mangled.
 */
final class Utf8Locale {
    private static final String UTF8 = "C.UTF-8";

    private interface Exec extends Library {
        Exec C = Native.load("c", Exec.class);

        /** execve(2) with NULL-terminated arrays of raw byte strings. */
        int execve(String path, Pointer[] argv, Pointer[] envp);
    }

    private Utf8Locale() {}

    // tag::utf8-locale[]
    static void restartIfNeeded() {
        if ("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"))) return;
        if (UTF8.equals(System.getenv("LC_ALL"))) return; // restarted: no C.UTF-8 here
        try {
            List<byte[]> env = new ArrayList<>();
            for (byte[] e : split(Path.of("/proc/self/environ"))) {
                if (!startsWith(e, "LC_ALL=")) env.add(e);
            }
            env.add(("LC_ALL=" + UTF8).getBytes());
            LibC.C.sigprocmask(LibC.SIG_SETMASK, LibC.emptySignalSet(), null);
            Exec.C.execve("/proc/self/exe", strings(split(Path.of("/proc/self/cmdline"))), strings(env));
        } catch (IOException e) {
            // below: carry on in the caller's locale
        }
        // execve failed: ASCII names still work, others fail with a message naming the locale
    }
    // end::utf8-locale[]

    private static List<byte[]> split(Path nulSeparated) throws IOException {
        byte[] all = Files.readAllBytes(nulSeparated);
        List<byte[]> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] != 0) continue;
            parts.add(java.util.Arrays.copyOfRange(all, start, i));
            start = i + 1;
        }
        return parts;
    }

    private static boolean startsWith(byte[] b, String prefix) {
        byte[] p = prefix.getBytes();
        return b.length >= p.length && java.util.Arrays.equals(b, 0, p.length, p, 0, p.length);
    }

    private static Pointer[] strings(List<byte[]> values) {
        Pointer[] array = new Pointer[values.size() + 1]; // the last stays null
        for (int i = 0; i < values.size(); i++) {
            Memory m = new Memory(values.get(i).length + 1L);
            m.clear();
            m.write(0, values.get(i), 0, values.get(i).length);
            array[i] = m;
        }
        return array;
    }
}
