package jrunc.linux;

import java.util.Map;

/** RLIMIT_* names (setrlimit(2)) and setting one on this process. */
public final class Rlimits {
    public static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("RLIMIT_CPU", 0), Map.entry("RLIMIT_FSIZE", 1),
            Map.entry("RLIMIT_DATA", 2), Map.entry("RLIMIT_STACK", 3),
            Map.entry("RLIMIT_CORE", 4), Map.entry("RLIMIT_RSS", 5),
            Map.entry("RLIMIT_NPROC", 6), Map.entry("RLIMIT_NOFILE", 7),
            Map.entry("RLIMIT_MEMLOCK", 8), Map.entry("RLIMIT_AS", 9),
            Map.entry("RLIMIT_LOCKS", 10), Map.entry("RLIMIT_SIGPENDING", 11),
            Map.entry("RLIMIT_MSGQUEUE", 12), Map.entry("RLIMIT_NICE", 13),
            Map.entry("RLIMIT_RTPRIO", 14), Map.entry("RLIMIT_RTTIME", 15));

    private Rlimits() {}

    /** The calling process's hard limit for type. */
    public static long hardLimit(String type) {
        long[] old = new long[2];
        LibC.check(LibC.C.prlimit(0, NUMBERS.get(type), null, old), "getrlimit", type);
        return old[1];
    }

    /**
     * Limits ready in native memory, to be set by {@link #apply} without allocating: a small
     * RLIMIT_AS or RLIMIT_DATA makes any further allocation of this JVM fail.
     */
    public record Prepared(String[] types, com.sun.jna.Memory[] values) {
        public static Prepared of(Map<String, long[]> limits) {
            String[] types = limits.keySet().toArray(new String[0]);
            com.sun.jna.Memory[] values = new com.sun.jna.Memory[types.length];
            for (int i = 0; i < types.length; i++) {
                values[i] = new com.sun.jna.Memory(16);
                values[i].setLong(0, limits.get(types[i])[0]);
                values[i].setLong(8, limits.get(types[i])[1]);
            }
            return new Prepared(types, values);
        }

        /** Returns the errno of the first failure, 0 if all were set. */
        public int apply() {
            for (int i = 0; i < types.length; i++) {
                if (LibC.C.prlimit(0, NUMBERS.get(types[i]), values[i], null) != 0) {
                    return com.sun.jna.Native.getLastError();
                }
            }
            return 0;
        }
    }

    public static void set(String type, long soft, long hard) {
        LibC.check(LibC.C.prlimit(0, NUMBERS.get(type), new long[] {soft, hard}, null),
                "setrlimit", type + " soft=" + Long.toUnsignedString(soft) + " hard="
                        + Long.toUnsignedString(hard),
                errno -> errno == LibC.EPERM ? "raising a hard limit needs CAP_SYS_RESOURCE;"
                        + " see the caller's limit with: ulimit -H -a" : null);
    }
}
