package workshop.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's syscall numbers and open(2) flags as its user-space headers (Debian's
 * linux-libc-dev) define them, for tests that check a binding's table against the kernel
 * instead of against itself.
 * x86_64 has a table of its own ({@code asm/unistd_64.h}); arm64, like most newer
 * architectures, uses the generic one ({@code asm-generic/unistd.h}), which linux-libc-dev ships
 * on every architecture.
 */
public final class KernelHeaders {
    private KernelHeaders() {}

    private static final Pattern DEFINE = Pattern.compile("^#define __NR_(\\w+)\\s+(\\d+)\\s*$",
            Pattern.MULTILINE);

    /** The generic table: arm64's (aarch64's) numbers. */
    public static Map<String, Long> aarch64() {
        return read(Path.of("/usr/include/asm-generic/unistd.h"));
    }

    /** x86_64's own table; on a machine of another architecture the header may be missing. */
    public static Map<String, Long> x86_64() {
        for (String candidate : new String[] {"/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
                "/usr/include/asm/unistd_64.h"}) {
            if (Files.isRegularFile(Path.of(candidate))) return read(Path.of(candidate));
        }
        assumeTrue(false, "skipped: x86_64's syscall table (asm/unistd_64.h) is not installed on"
                + " this " + System.getProperty("os.arch") + " machine");
        return Map.of();
    }

    private static final Pattern FLAG = Pattern.compile("^#define\\s+(O_\\w+)\\s+(0[0-7]*|[1-9]\\d*)\\b",
            Pattern.MULTILINE);

    /**
     * The open(2) flags of the machine this JVM runs on: its own {@code asm/fcntl.h} first (arm64
     * defines O_DIRECTORY, O_NOFOLLOW, O_DIRECT and O_LARGEFILE there), then the generic ones.
     */
    public static Map<String, Long> openFlags() {
        String arch = System.getProperty("os.arch");
        String multiarch = (arch.equals("amd64") ? "x86_64" : arch) + "-linux-gnu";
        Map<String, Long> flags = new TreeMap<>();
        for (Path header : new Path[] {Path.of("/usr/include", multiarch, "asm/fcntl.h"),
                Path.of("/usr/include/asm-generic/fcntl.h")}) {
            String text = readHeader(header);
            Matcher m = FLAG.matcher(text);
            while (m.find()) flags.putIfAbsent(m.group(1), Long.decode(m.group(2)));
        }
        return flags;
    }

    private static String readHeader(Path header) {
        try {
            return Files.readString(header);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + header + ": the kernel's headers come"
                    + " with Debian's linux-libc-dev (installed with libc6-dev: sudo bin/test-all"
                    + " installs it)", e);
        }
    }

    /** Every {@code #define __NR_name number} of one header, by name. */
    static Map<String, Long> read(Path header) {
        String text = readHeader(header);
        Map<String, Long> numbers = new TreeMap<>();
        Matcher m = DEFINE.matcher(text);
        while (m.find()) numbers.put(m.group(1), Long.parseLong(m.group(2)));
        if (numbers.isEmpty()) throw new IllegalStateException(header + " defines no __NR_ number");
        return numbers;
    }
}
